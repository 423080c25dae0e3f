"""The chapters' experiments: code that one or two chapters of the book run, built on the library.

One module per chapter (or pair of chapters); the library a reader imports into their own models
is the package above (:mod:`minebook`). Imported on use: ``from minebook.experiments import gan``.

==================  =========  ======================================================
module              chapters   what
==================  =========  ======================================================
``dv_demo``         1-2        discrete MI, the DV bound on a grid
``gradient_bias``   4-5        the bias of the minibatch gradient, EMA checkpoints
``sweeps``          5-7, 12    estimator sweeps over data sets, KSG by brute force
``adversarial``     8-9        stacked GAN members, adaptive clipping, 25 Gaussians
``gan``             8          GAN+MINE on 2-D data
``stacked_mnist``   8          Stacked MNIST modes
``bigan``           9          BiGAN+MINE
``bottleneck``      10         the information bottleneck (VIB, MINE-IB)
``compare``         10         paired error comparisons (McNemar, bootstrap)
``infomax``         11         Deep InfoMax
``beyond_normal``   12         the Beyond Normal tasks with known MI
``staircase``       12         the MI staircase of Poole et al.
``real_data``       13         MNIST: labels, self-consistency, a CNN critic
==================  =========  ======================================================
"""
