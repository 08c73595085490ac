"""Grading a class: the student edition's notebooks back from the students.

``python -m gdlib.exercises.grade FILES... --out DIR`` (see ``grade.py``) does,
for each submitted file:

1. ``chapters``: find which chapter it is (by its cells' ids, else by the book's
   own code cells), and take that chapter's pristine student-edition cells,
   made from the book's notebooks by ``scripts/editions.py`` (or read from a
   student edition that was handed out);
2. ``submission``: take only the student's answer cells (the cells tagged
   ``exercise``, found by their cell id) and put them in place of the pristine
   ones; read them for a redefined ``check`` or a patched gdlib;
3. ``worker``: run the rebuilt notebook top to bottom in a fresh kernel, in its
   own process and temporary folder, with a memory limit (``sandbox``), per-cell
   and per-notebook time limits, outputs counted and dropped, one BLAS thread;
4. ``probe``: after the student's code ran, a last cell imports gdlib.exercises
   afresh from the grader's own folder, asks the book's checkers about the
   answer objects the answer cells name, checks that nothing the checkers rely
   on was replaced, and writes the verdicts to a file the grader reads;
5. ``report``: one row of ``DIR/gradebook.csv`` and one feedback page.

The submissions are read, never written.
"""
