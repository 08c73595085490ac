"""This book's content on top of the gdlib core: the panels of each chapter (``panels``)
and their stored grids (``grids/``, package data)."""
