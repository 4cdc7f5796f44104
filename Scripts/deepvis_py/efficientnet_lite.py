"""EfficientNet-Lite as an ONNX graph, matching PyPI `efficientnet-lite-pytorch` 0.1.0.

Architecture (TF EfficientNet-Lite): stem 3x3/s2 conv to 32 channels, 16+ MBConv blocks
(optional 1x1 expand, depthwise kxk, 1x1 project; no squeeze-excite), head 1x1 conv to
1280, global average pool, fully connected layer. Every conv has no bias and is followed by
BatchNorm (eps 1e-3); ReLU6 follows stem, expand, depthwise and head, never project.
Padding is TF "SAME", fixed at build time for the model's input size, so stride-2 convs pad
more at bottom/right than at top/left. Stem and head widths are not scaled ("fix_head_stem"),
nor are the repeats of the first and last stage.
"""

import math
from dataclasses import dataclass

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper

OPSET = 13
IR_VERSION = 7  # the IR version that introduced opset 13
BN_EPSILON = 1e-3

# (width coefficient, depth coefficient, input resolution), as in the reference package.
VARIANTS = {
    "efficientnet-lite0": (1.0, 1.0, 224),
    "efficientnet-lite1": (1.0, 1.1, 240),
    "efficientnet-lite2": (1.1, 1.2, 260),
}

# Stages: (repeats, kernel, stride, expand ratio, input channels, output channels).
STAGES = [
    (1, 3, 1, 1, 32, 16),
    (2, 3, 2, 6, 16, 24),
    (2, 5, 2, 6, 24, 40),
    (3, 3, 2, 6, 40, 80),
    (3, 5, 1, 6, 80, 112),
    (4, 5, 2, 6, 112, 192),
    (1, 3, 1, 6, 192, 320),
]
STEM_CHANNELS = 32
HEAD_CHANNELS = 1280
DEPTH_DIVISOR = 8


@dataclass(frozen=True)
class Block:
    """One MBConv block: its channel counts, kernel, stride and the input size it sees."""

    index: int
    in_channels: int
    out_channels: int
    kernel: int
    stride: int
    expand_ratio: int
    input_size: int

    @property
    def hidden_channels(self):
        return self.in_channels * self.expand_ratio

    @property
    def has_residual(self):
        return self.stride == 1 and self.in_channels == self.out_channels


def round_filters(filters, width):
    """Scale a channel count by the width coefficient, rounding to a multiple of 8."""
    if width == 1.0:
        return filters
    scaled = filters * width
    rounded = max(DEPTH_DIVISOR, int(scaled + DEPTH_DIVISOR / 2) // DEPTH_DIVISOR * DEPTH_DIVISOR)
    if rounded < 0.9 * scaled:
        rounded += DEPTH_DIVISOR
    return int(rounded)


def same_padding(size, kernel, stride):
    """TF 'SAME' padding for one spatial axis: (before, after); after gets the odd pixel."""
    out = math.ceil(size / stride)
    total = max((out - 1) * stride + kernel - size, 0)
    return total // 2, total - total // 2


def blocks_for(variant):
    """The list of blocks of a variant, with the spatial size each block's input has."""
    width, depth, size = VARIANTS[variant]
    size = math.ceil(size / 2)  # after the stride-2 stem
    blocks = []
    for stage, (repeats, kernel, stride, expand, cin, cout) in enumerate(STAGES):
        cin = STEM_CHANNELS if stage == 0 else round_filters(cin, width)
        cout = round_filters(cout, width)
        if stage not in (0, len(STAGES) - 1):
            repeats = int(math.ceil(depth * repeats))
        for r in range(repeats):
            blocks.append(Block(len(blocks), cin if r == 0 else cout, cout, kernel,
                                stride if r == 0 else 1, expand, size))
            if r == 0:
                size = math.ceil(size / stride)
    return blocks


class GraphBuilder:
    """Accumulates nodes and initializers; each helper returns the name of its output."""

    def __init__(self, weights):
        self.weights = weights
        self.used = set()
        self.nodes = []
        self.initializers = []

    def weight(self, torch_name, onnx_name):
        array = self.weights[torch_name]
        self.used.add(torch_name)
        self.initializers.append(numpy_helper.from_array(
            np.ascontiguousarray(array, dtype=np.float32), onnx_name))
        return onnx_name

    def conv(self, x, prefix, torch_name, kernel, stride, groups, size):
        top, bottom = same_padding(size, kernel, stride)
        name = f"{prefix}.conv"
        w = self.weight(f"{torch_name}.weight", f"{name}.weight")
        self.nodes.append(helper.make_node(
            "Conv", [x, w], [name], name=name,
            kernel_shape=[kernel, kernel], strides=[stride, stride],
            pads=[top, top, bottom, bottom], dilations=[1, 1], group=groups))
        return name

    def batch_norm(self, x, prefix, torch_name, output=None):
        name = f"{prefix}.bn"
        output = output or name
        inputs = [x] + [self.weight(f"{torch_name}.{t}", f"{name}.{o}") for t, o in (
            ("weight", "scale"), ("bias", "bias"), ("running_mean", "mean"), ("running_var", "var"))]
        self.nodes.append(helper.make_node(
            "BatchNormalization", inputs, [output], name=name, epsilon=BN_EPSILON))
        return output

    def relu6(self, x, output):
        self.nodes.append(helper.make_node(
            "Clip", [x, "relu6.min", "relu6.max"], [output], name=f"{output}.relu6"))
        return output

    def conv_bn_relu6(self, x, prefix, conv_name, bn_name, kernel, stride, groups, size):
        x = self.conv(x, prefix, conv_name, kernel, stride, groups, size)
        x = self.batch_norm(x, prefix, bn_name)
        return self.relu6(x, prefix)


def build_model(variant, weights, doc=""):
    """Build the ONNX model of `variant` from a state dict in the lukemelas naming."""
    _, _, size = VARIANTS[variant]
    g = GraphBuilder(weights)
    g.initializers += [numpy_helper.from_array(np.array(0.0, np.float32), "relu6.min"),
                       numpy_helper.from_array(np.array(6.0, np.float32), "relu6.max")]

    x = g.conv_bn_relu6("input", "stem", "_conv_stem", "_bn0", 3, 2, 1, size)
    blocks = blocks_for(variant)
    for b in blocks:
        t, p = f"_blocks.{b.index}", f"blocks.{b.index}"
        inp = x
        if b.expand_ratio != 1:
            x = g.conv_bn_relu6(x, f"{p}.expand", f"{t}._expand_conv", f"{t}._bn0",
                                1, 1, 1, b.input_size)
        x = g.conv_bn_relu6(x, f"{p}.depthwise", f"{t}._depthwise_conv", f"{t}._bn1",
                            b.kernel, b.stride, b.hidden_channels, b.input_size)
        out_size = math.ceil(b.input_size / b.stride)
        x = g.conv(x, f"{p}.project", f"{t}._project_conv", 1, 1, 1, out_size)
        if b.has_residual:
            x = g.batch_norm(x, f"{p}.project", f"{t}._bn2", output=f"{p}.project")
            g.nodes.append(helper.make_node("Add", [x, inp], [p], name=f"{p}.add"))
            x = p
        else:
            x = g.batch_norm(x, f"{p}.project", f"{t}._bn2", output=p)

    final = math.ceil(blocks[-1].input_size / blocks[-1].stride)
    x = g.conv_bn_relu6(x, "head", "_conv_head", "_bn1", 1, 1, 1, final)
    g.nodes.append(helper.make_node("GlobalAveragePool", [x], ["pool"], name="pool"))
    g.nodes.append(helper.make_node("Flatten", ["pool"], ["pool.flat"], name="flatten", axis=1))
    num_classes = weights["_fc.weight"].shape[0]
    w = g.weight("_fc.weight", "fc.weight")
    bias = g.weight("_fc.bias", "fc.bias")
    g.nodes.append(helper.make_node("Gemm", ["pool.flat", w, bias], ["logits"], name="fc",
                                    transB=1))

    unused = sorted(k for k in weights if k not in g.used and not k.endswith("num_batches_tracked"))
    if unused:
        raise ValueError(f"weights not used by the {variant} graph: {unused[:8]}")

    graph = helper.make_graph(
        g.nodes, variant.replace("-", "_"),
        [helper.make_tensor_value_info("input", TensorProto.FLOAT, [1, 3, size, size])],
        [helper.make_tensor_value_info("logits", TensorProto.FLOAT, [1, num_classes])],
        initializer=g.initializers, doc_string=doc)
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", OPSET)],
                              producer_name="deepvis-fetch-model", producer_version="1",
                              ir_version=IR_VERSION, doc_string=doc)
    model = onnx.shape_inference.infer_shapes(model, check_type=True, strict_mode=True)
    onnx.checker.check_model(model, full_check=True)
    return model


def layer_names(variant):
    """Addressable activations, in graph order (the names a user can pass to --layer)."""
    names = ["stem"]
    for b in blocks_for(variant):
        p = f"blocks.{b.index}"
        if b.expand_ratio != 1:
            names.append(f"{p}.expand")
        names.append(f"{p}.depthwise")
        if b.has_residual:
            names.append(f"{p}.project")
        names.append(p)
    return names + ["head", "pool", "logits"]


def project_aliases(variant):
    """Blocks without a residual add: their project output *is* the block output."""
    return {f"blocks.{b.index}.project": f"blocks.{b.index}"
            for b in blocks_for(variant) if not b.has_residual}
