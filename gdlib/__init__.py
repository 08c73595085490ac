"""gdlib: the NumPy code behind the book *Gradient Descent for Deep Learning*.

The book retells Kang (2020), "Comparison of Gradient Descent for Deep
Learning".  Each module holds one concern (see ``DESIGN`` in the README):

``data``        MNIST and Fashion-MNIST: IDX parsing, search path, download
``mlp``         the multilayer network, activations (eq. 2, 3), losses (eq. 4, 5)
``optimizers``  SGD, Momentum, AdaGrad, RMSProp, Adadelta (eq. 6-18)
``train``       the training loop and the plain-data ``History`` it returns
``toy``         2-D test functions and optimizer trajectories
``plots``       matplotlib figures drawn from histories
``widgets``     ipywidgets panels that retrain and redraw, and their precomputed form
``paper``       this book's content: the panels of each chapter and their stored grids
``bench``       throughput benchmark (``python -m gdlib.bench``)
"""

__version__ = "0.1.0"
