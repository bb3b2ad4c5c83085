"""Session 21: metric-learning and face-recognition programs as users copy them:
ronghuaiyang/arcface-pytorch (ArcMarginProduct with easy_margin both ways,
AddMarginProduct, SphereProduct, FocalLoss, the face ResNet and train.py / test.py) and
adambielski/siamese-triplet (Contrastive / Triplet losses, the online pair and triplet
selectors with hardest / random / semihard negatives, EmbeddingNet, SiameseNet,
TripletNet, BalancedBatchSampler and trainer.fit), in tests/s21_metric_progs*.py, on small
random embeddings and images. Each runs on ember and on torch 2.13 and is compared live:
printed lines (losses with 4 decimals, selected pairs and triplets, reprs, dtypes,
shapes, warnings, errors' type and first line) exactly, values to rtol 1e-5 / atol 1e-6."""

import pytest
import s21_metric_progs as A
import s21_metric_progs_b as B
import s21_metric_progs_c as C
from torch_compare import check_program, use_up_once_warnings

RTOL, ATOL = 1e-5, 1e-6

PROGS = [A.margin_heads, A.arcface_train, A.save_and_load_model, B.selectors_and_losses, C.fit_all]


@pytest.mark.parametrize("prog", PROGS, ids=lambda f: f"{f.__module__[4:]}.{f.__name__}")
def test_program(prog):
    use_up_once_warnings(prog)
    check_program(prog, 0, RTOL, ATOL)
