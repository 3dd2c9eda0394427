from codelewm.eval.executed import execute_examples as execute_examples
from codelewm.eval.executed import execute_rerank as execute_rerank
from codelewm.scoring.load import load_scorer as load_scorer
from codelewm.scoring.reranker import Reranker as Reranker

__version__: str
__all__ = ["Reranker", "__version__", "execute_examples", "execute_rerank", "load_scorer"]
