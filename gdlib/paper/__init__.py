"""This book's content: the experiments and conclusions of Kang (2020).

``figures``  Fig. 3-7 as ``TrainConfig``s, the stored multi-seed runs
             (``results/``, shipped with the package) and the recompute check
``claims``   the paper's conclusions, tested on the stored runs
``panels``   the slider panels of chapters 4-8 and their stored grids (``grids/``)
``store``    the one store of both: paths, atomic saves, loads that check the
             config, the comparison with a recomputed run, one BLAS thread

The numeric core of ``gdlib`` (data, mlp, optimizers, train, metrics, toy,
plots) imports nothing from here: it is a library anyone could use, and this
subpackage is the book standing on it.
"""
