from codelewm.scoring.load import load_scorer as load_scorer
from codelewm.scoring.reranker import Reranker as Reranker

__version__: str
__all__ = ["Reranker", "__version__", "load_scorer"]
