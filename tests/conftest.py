"""Fixtures shared by the tests, made of the parts in tests/support.py and tests/lab_harness.py.

``chromium``    Debian's chromium (one launch per session, support.CHROMIUM_ARGS)
``book_html``   the built book's HTML folder (support.book_html: ``make book`` first)
``book_url``    that folder served on 127.0.0.1 for the session
``lab_server``  a JupyterLab on the repository root, stopped with its kernels after the module
"""

import pytest
import support
from lab_harness import LabServer


@pytest.fixture(scope="session")
def chromium():
    try:
        with support.launch_chromium() as browser:
            yield browser
    except FileNotFoundError as exc:
        pytest.fail(str(exc))


@pytest.fixture(scope="session")
def book_html():
    try:
        return support.book_html()
    except FileNotFoundError as exc:
        pytest.fail(str(exc))


@pytest.fixture(scope="session")
def book_url(book_html):
    with support.StaticServer(book_html) as server:
        yield server.url


@pytest.fixture(scope="module")
def lab_server():
    with LabServer(support.ROOT) as lab:
        yield lab
