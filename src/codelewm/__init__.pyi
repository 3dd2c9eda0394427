from codelewm.eval.codet import execute_generated as execute_generated
from codelewm.eval.executed import execute_examples as execute_examples
from codelewm.eval.executed import execute_rerank as execute_rerank
from codelewm.eval.generated_io import load_generated_tests as load_generated_tests
from codelewm.scoring.load import load_scorer as load_scorer
from codelewm.scoring.reranker import Reranker as Reranker

__version__: str
__all__ = [
    "Reranker",
    "__version__",
    "execute_examples",
    "execute_generated",
    "execute_rerank",
    "load_generated_tests",
    "load_scorer",
]
