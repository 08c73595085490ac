"""gdlib: the NumPy code behind the book *Gradient Descent for Deep Learning*.

The book retells Kang (2020), "Comparison of Gradient Descent for Deep
Learning".  Each module holds one concern; data flows one way,
``data -> mlp -> optimizers -> train -> History -> metrics -> plots -> widgets``:

``data``        MNIST and Fashion-MNIST: IDX parsing, search path, download
``mlp``         the multilayer network, activations (eq. 2, 3), losses (eq. 4, 5)
``optimizers``  SGD, Momentum, AdaGrad, RMSProp, Adadelta (eq. 6-18)
``train``       the training loop and the plain-data ``History`` it returns
``metrics``     measurements of a History: final loss, fluctuation, speed, spread
``gradnoise``   how far a mini-batch gradient is from the full one
``toy``         2-D test functions and optimizer trajectories
``plots``       matplotlib figures drawn from histories and trajectories
``widgets``     ipywidgets panels that retrain and redraw, and their precomputed form

On top of that core: ``paper`` (this book's content: the figures' configs,
stored results, the paper's claims, the chapters' panels and their grids),
``exercises`` (checkers that give a student feedback on an exercise) and
``book`` (what a chapter page needs: numbers in the prose, checks that guard
the build).
"""

__version__ = "0.2.0"
