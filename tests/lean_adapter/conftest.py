"""The adapter imports AlgorithmImports; these tests run it against the fakes, installed before
any test module of this folder imports lean_adapter or main."""
from tests.lean_standin.scripted_algorithm import install

install()
