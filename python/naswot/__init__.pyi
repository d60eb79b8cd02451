# Type stubs of the naswot package (the Python layer over naswot._core).
from os import PathLike
from typing import Any, Iterable, Literal, Optional, Union, overload

import numpy as np

__version__: str

Arch = Union[int, np.integer, str]
Row = dict[str, Any]  # index, arch, score, status, reason, seconds, params

class Error(ValueError): ...

class Interrupted(KeyboardInterrupt):
    results: list[Optional[Row]]

class Scorer:
    def __init__(
        self,
        *,
        space: str = "nb201",
        batch: int = 128,
        seed: int = 0,
        augment: str = "none",
        dataset: Optional[str] = None,
        data: Optional[str] = None,
        num_classes: int = 1,
        score: str = "jacob_cov",
        relu_sites: Optional[str] = None,
        backend: str = "auto",
        threads: int = 0,
        precision: Optional[str] = None,
        sigma_solver: Optional[str] = None,
        sigma_precision: Optional[str] = None,
        nb101_inplace: Optional[str] = None,
        fusion: Optional[str] = None,
        sampler: Optional[str] = None,
        init: Optional[str] = None,
        workers: int = 1,
        lockstep: int = 1,
        conv_kernels: Optional[str] = None,
    ) -> None: ...
    def score(self, arch: Arch) -> Row: ...
    @overload
    def score_many(self, archs: Iterable[Arch], as_frame: Literal[False] = ...) -> list[Row]: ...
    @overload
    def score_many(self, archs: Iterable[Arch], as_frame: Literal[True]) -> Any: ...  # pandas.DataFrame
    def score_cell(self, matrix: Union[str, list[list[int]]], ops: Union[str, list[str]]) -> Row: ...
    @property
    def backend(self) -> str: ...
    @property
    def device(self) -> str: ...
    @property
    def workers(self) -> int: ...

def read_run(path: Union[str, PathLike[str]]) -> Any: ...  # pandas.DataFrame
def nb201_arch(index: int) -> str: ...
def nb201_index(arch: str) -> int: ...
def nb101_cell(spec: Arch) -> dict[str, Any]: ...
