"""nn's module classes (``torch.nn.modules``)."""

from .activation import (ELU, GELU, LeakyReLU, LogSoftmax, ReLU, SiLU, Sigmoid,  # noqa: F401
                         Softmax, Softplus, Tanh)
from .activation2 import (CELU, GLU, Hardshrink, Hardsigmoid, Hardswish,  # noqa: F401
                          Hardtanh, LogSigmoid, Mish, PReLU, ReLU6, RReLU, SELU, Softmax2d,
                          Softmin, Softshrink, Softsign, Tanhshrink, Threshold)
from .attention import MultiheadAttention  # noqa: F401
from .batchnorm import BatchNorm1d, BatchNorm2d, BatchNorm3d, SyncBatchNorm  # noqa: F401
from .container import (ModuleDict, ModuleList, ParameterDict, ParameterList,  # noqa: F401
                        Sequential)
from .conv import (Conv1d, Conv2d, Conv3d, ConvTranspose1d, ConvTranspose2d,  # noqa: F401
                   ConvTranspose3d)
from .dropout import Dropout, Dropout1d, Dropout2d, Dropout3d  # noqa: F401
from .flatten import Flatten, Unflatten  # noqa: F401
from .instancenorm import InstanceNorm1d, InstanceNorm2d, InstanceNorm3d  # noqa: F401
from .linear import Identity, Linear  # noqa: F401
from .loss import (BCELoss, BCEWithLogitsLoss, CrossEntropyLoss, HuberLoss,  # noqa: F401
                   L1Loss, MSELoss, NLLLoss, SmoothL1Loss)
from .loss_more import (AlphaDropout, Bilinear, ChannelShuffle,  # noqa: F401
                        CosineEmbeddingLoss, FeatureAlphaDropout, HingeEmbeddingLoss,
                        MarginRankingLoss, PoissonNLLLoss, TripletMarginLoss)
from .misc import (CosineSimilarity, KLDivLoss, PairwiseDistance, PixelShuffle,  # noqa: F401
                   PixelUnshuffle, Upsample, UpsamplingBilinear2d, UpsamplingNearest2d)
from .module import Module  # noqa: F401
from .normalization import GroupNorm, LayerNorm, RMSNorm  # noqa: F401
from .pooling import (AdaptiveAvgPool1d, AdaptiveAvgPool2d, AdaptiveAvgPool3d,  # noqa: F401
                      AvgPool1d, AvgPool2d, AvgPool3d, MaxPool1d, MaxPool2d, MaxPool3d)
from .rnn import (GRU, LSTM, RNN, GRUCell, LSTMCell, RNNBase, RNNCell,  # noqa: F401
                  RNNCellBase)
from .sparse import Embedding, EmbeddingBag  # noqa: F401
from .transformer import (Transformer, TransformerDecoder,  # noqa: F401
                          TransformerDecoderLayer, TransformerEncoder,
                          TransformerEncoderLayer)
from .fold import Fold, Unfold  # noqa: F401,E402
from .loss_more2 import (GaussianNLLLoss, MultiLabelMarginLoss,  # noqa: F401,E402
                         MultiLabelSoftMarginLoss, MultiMarginLoss, SoftMarginLoss,
                         TripletMarginWithDistanceLoss)
from .padding import (CircularPad1d, CircularPad2d, CircularPad3d,  # noqa: F401,E402
                      ConstantPad1d, ConstantPad2d, ConstantPad3d, ReflectionPad1d,
                      ReflectionPad2d, ReflectionPad3d, ReplicationPad1d, ReplicationPad2d,
                      ReplicationPad3d, ZeroPad1d, ZeroPad2d, ZeroPad3d)
from .pooling_more import (AdaptiveMaxPool1d, AdaptiveMaxPool2d,  # noqa: F401,E402
                           LocalResponseNorm, LPPool1d, LPPool2d, MaxUnpool1d, MaxUnpool2d)
from .lazy import (LazyBatchNorm1d, LazyBatchNorm2d, LazyBatchNorm3d, LazyConv1d,  # noqa: F401
                   LazyConv2d, LazyConv3d, LazyConvTranspose1d, LazyConvTranspose2d,
                   LazyConvTranspose3d, LazyInstanceNorm1d, LazyInstanceNorm2d,
                   LazyInstanceNorm3d, LazyLinear, LazyModuleMixin, UninitializedBuffer,
                   UninitializedParameter)
from .loss_ctc import CTCLoss  # noqa: F401,E402
from .pooling3d import (AdaptiveMaxPool3d, FractionalMaxPool2d,  # noqa: F401,E402
                        FractionalMaxPool3d, LPPool3d, MaxUnpool3d)
from .adaptive import AdaptiveLogSoftmaxWithLoss  # noqa: F401,E402
from .legacy import Container, NLLLoss2d  # noqa: F401,E402


def __getattr__(name):  # PyTorch 2.13's linear cross-entropy head, loaded on first use
    if name in ("LinearCrossEntropyLoss", "LinearCrossEntropyOptions"):
        from . import linear_ce

        return getattr(linear_ce, name)
    raise AttributeError(f"module 'ember.nn.modules' has no attribute '{name}'")
