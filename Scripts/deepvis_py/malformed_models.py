"""The malformed-model corpus: one valid tiny CNN, and many copies that each break one thing.

Writes OUT/models/NAME.onnx (+ NAME.json manifests, labels10.txt) and OUT/cases.tsv with the
columns: name, command, expect, message, what. `command` is a deepvis command line with the
placeholders {model}, {image}, {images}, {out}; `expect` is `error` (non-zero exit, one line on
stderr containing `message`) or `ok` (exit 0: the input is unusual but valid).
Deterministic: no random numbers without a fixed seed, no timestamps.
"""
import json
import os
import sys

import numpy as np
import onnx
from onnx import TensorProto, helper

OPSET = 13
rng = np.random.default_rng(11)


def weight(name, shape, scale=0.2):
    return helper.make_tensor(name, TensorProto.FLOAT, shape, (rng.standard_normal(shape) * scale).astype(np.float32).tobytes(), raw=True)


def ints(name, values):
    return helper.make_tensor(name, TensorProto.INT64, [len(values)], np.array(values, dtype=np.int64).tobytes(), raw=True)


def base_parts(size=32, channels=3, batch=1):
    """Nodes, initializers, input and output of the valid tiny CNN (names are what cases mutate)."""
    nodes = [
        helper.make_node("Conv", ["input", "c1.w", "c1.b"], ["c1"], name="c1", kernel_shape=[3, 3], pads=[1, 1, 1, 1]),
        helper.make_node("Relu", ["c1"], ["relu1"], name="relu1"),
        helper.make_node("MaxPool", ["relu1"], ["pool1"], name="pool1", kernel_shape=[2, 2], strides=[2, 2]),
        helper.make_node("Conv", ["pool1", "dw.w"], ["dw"], name="dw", kernel_shape=[3, 3], pads=[1, 1, 1, 1], group=8),
        helper.make_node("Relu", ["dw"], ["relu2"], name="relu2"),
        helper.make_node("GlobalAveragePool", ["relu2"], ["gap"], name="gap"),
        helper.make_node("Flatten", ["gap"], ["flat"], name="flat"),
        helper.make_node("Gemm", ["flat", "fc.w", "fc.b"], ["logits"], name="fc", transB=1),
    ]
    inits = [weight("c1.w", [8, channels, 3, 3]), weight("c1.b", [8]), weight("dw.w", [8, 1, 3, 3]),
             weight("fc.w", [10, 8]), weight("fc.b", [10])]
    inp = helper.make_tensor_value_info("input", TensorProto.FLOAT, [batch, channels, size, size])
    out = helper.make_tensor_value_info("logits", TensorProto.FLOAT, [1, 10])
    return nodes, inits, [inp], [out]


def model(nodes, inits, inputs, outputs):
    g = helper.make_graph(nodes, "tiny", inputs, outputs, initializer=inits)
    m = helper.make_model(g, opset_imports=[helper.make_opsetid("", OPSET)], producer_name="make-malformed-models")
    m.ir_version = 8
    return m


def manifest(size=32, **override):
    m = {"name": "tiny", "input": {"width": size, "height": size, "mean": [127, 127, 127], "std": [128, 128, 128]},
         "labels": "labels10.txt", "default_layer": "relu1", "layers": ["relu1", "relu2"]}
    for k, v in override.items():
        if k in ("width", "height", "mean", "std", "resize_shorter"):
            m["input"][k] = v
        else:
            m[k] = v
    return m


def node(nodes, name):
    return next(n for n in nodes if n.name == name)


def set_attr(n, key, value):
    for a in list(n.attribute):
        if a.name == key:
            n.attribute.remove(a)
    n.attribute.append(helper.make_attribute(key, value))


def init(inits, name):
    return next(t for t in inits if t.name == name)


def replace_init(inits, tensor):
    inits[:] = [t for t in inits if t.name != tensor.name] + [tensor]


# Commands. Import only; import + image contract + forward; the live pipeline; gradient ascent.
INSPECT = "inspect --model {model}"
CLASSIFY = "classify --model {model} {image}"
LIVE = "live --headless --frames 2 --images {images} --out {out} --model {model}"
DREAM = "dream --model {model} {image} --layer relu1 --iterations 2 --out {out}"

cases = []      # (name, command, expect, message, what)
files = {}      # file name -> bytes or manifest dict


def add(name, mutate=None, commands=(INSPECT,), expect="error", message="", what="", raw=None, man="default", **base):
    """Registers NAME.onnx built by `mutate(nodes, inits, inputs, outputs)` (or `raw` bytes) with its cases."""
    if raw is not None:
        files[name + ".onnx"] = raw
    else:
        parts = base_parts(**base)
        if mutate:
            mutate(*parts)
        files[name + ".onnx"] = model(*parts).SerializeToString()
    if man == "default":
        files[name + ".json"] = manifest(base.get("size", 32))
    elif man is not None:
        files[name + ".json"] = man
    for c in commands:
        cases.append((name, c, expect, message, what))


def build():
    # --- valid or merely unusual: must succeed ---
    add("ok-tiny", commands=(INSPECT, CLASSIFY, LIVE, DREAM), expect="ok", what="the valid base model")
    add("ok-batch4-input", commands=(CLASSIFY, DREAM), expect="ok", what="input [4,3,32,32]: N is used as 1", batch=4)

    def symbolic(n, i, inp, o):
        inp[0].type.tensor_type.shape.dim[0].ClearField("dim_value")
        inp[0].type.tensor_type.shape.dim[0].dim_param = "N"
    add("ok-symbolic-batch", symbolic, commands=(CLASSIFY,), expect="ok", what="symbolic batch dimension")
    add("ok-no-manifest", commands=(CLASSIFY,), expect="ok", man=None, what="no manifest: defaults from the input shape")
    add("ok-manifest-other-size", commands=(CLASSIFY, LIVE), expect="ok", man=manifest(48),
        what="manifest asks 48x48 of a 32x32 model: re-planned at 48x48")

    def same_upper(n, i, inp, o):
        c = node(n, "c1")
        for a in list(c.attribute):
            if a.name == "pads":
                c.attribute.remove(a)
        set_attr(c, "auto_pad", "SAME_UPPER")
    add("ok-auto-pad-same", same_upper, commands=(CLASSIFY, DREAM), expect="ok", what="auto_pad SAME_UPPER resolved per input size")

    # --- initializers: dims, data lengths, types ---
    def dims(name, d, data=b"\0" * 16):
        def m(n, i, inp, o):
            t = init(i, name)
            del t.dims[:]
            t.dims.extend(d)
            t.raw_data = data
        return m
    add("init-dims-overflow", dims("c1.w", [1 << 62, 1 << 62, 3, 3]), message="overflows", what="weight dims whose product overflows Int")
    add("init-dims-negative", dims("c1.w", [-8, 3, 3, 3]), message="negative dimension", what="negative weight dimension")
    add("init-dims-huge", dims("c1.w", [1 << 20, 1 << 20, 3, 3]), message="memory limit", what="weights of 36 TiB claimed by dims")
    add("init-raw-short", dims("c1.w", [8, 3, 3, 3], b"\0" * 100), message="bytes of data", what="raw_data shorter than dims")
    add("init-raw-long", dims("c1.w", [8, 3, 3, 3], b"\0" * 1000), message="bytes of data", what="raw_data longer than dims")
    add("init-raw-ragged", dims("c1.b", [8], b"\0" * 31), message="bytes of data", what="raw_data not a whole number of floats")

    # make_tensor checks lengths, so the bad one is built by hand
    def float_data_short2(n, i, inp, o):
        t = TensorProto(name="c1.b", data_type=TensorProto.FLOAT, dims=[8], float_data=[0.5] * 5)
        replace_init(i, t)
    add("init-float-data-short", float_data_short2, message="values for shape", what="float_data with 5 values for 8")

    def external(n, i, inp, o):
        t = init(i, "c1.b")
        t.data_location = TensorProto.EXTERNAL
        t.external_data.add(key="location", value="weights.bin")
        t.ClearField("raw_data")
    add("init-external-data", external, message="external data", what="weights in an external file")

    def string_tensor(n, i, inp, o):
        replace_init(i, TensorProto(name="c1.b", data_type=TensorProto.STRING, dims=[8], string_data=[b"x"] * 8))
    add("init-string-type", string_tensor, message="element type", what="a string tensor as bias")

    # --- graph inputs ---
    def in_dims(d):
        def m(n, i, inp, o):
            shape = inp[0].type.tensor_type.shape
            for k, v in enumerate(d):
                shape.dim[k].dim_value = v
        return m
    add("input-dim-negative", in_dims([1, 3, -32, 32]), message="dimensions must be positive", what="negative input dim")
    add("input-dim-zero", in_dims([1, 3, 0, 32]), message="dimensions must be positive", what="zero input dim")
    add("input-huge", in_dims([1, 3, 1 << 20, 1 << 20]), message="memory limit", what="input of 12 TiB")
    add("input-wrapping", in_dims([1 << 40, 3, 1 << 40, 1 << 40]), message="memory limit", what="input dims whose product wraps")

    def int_input(n, i, inp, o):
        inp[0].type.tensor_type.elem_type = TensorProto.INT64
    add("input-int64", int_input, message="float32", what="integer image input")

    def no_input(n, i, inp, o):
        i.append(weight("input", [1, 3, 32, 32]))
    add("input-none", no_input, message="no non-constant input", what="the only input is an initializer")

    def rank2(n, i, inp, o):
        n[:] = [helper.make_node("Gemm", ["input", "fc.w", "fc.b"], ["logits"], name="fc", transB=1)]
        replace_init(i, weight("fc.w", [10, 3 * 32 * 32]))
        inp[0].type.tensor_type.shape.ClearField("dim")
        inp[0].type.tensor_type.shape.dim.add(dim_value=1)
        inp[0].type.tensor_type.shape.dim.add(dim_value=3 * 32 * 32)
    add("ok-rank2-input-inspect", rank2, commands=(INSPECT,), expect="ok", man=None, what="a non-image model can still be inspected")
    add("input-rank2", rank2, commands=(CLASSIFY, LIVE, DREAM), man=None, message="RGB image input", what="a [1,3072] vector model")
    add("input-one-channel", commands=(CLASSIFY, LIVE, DREAM), channels=1, message="RGB image input", what="grey [1,1,32,32] input")

    def rank5(n, i, inp, o):
        inp[0].type.tensor_type.shape.dim.add(dim_value=1)
    add("input-rank5", rank5, commands=(CLASSIFY, DREAM), message="rank 5", what="[1,3,32,32,1] input: refused by the first Conv")

    # --- Conv attributes ---
    def conv_attr(key, value, target="c1"):
        return lambda n, i, inp, o: set_attr(node(n, target), key, value)
    add("conv-kernel-1d", conv_attr("kernel_shape", [3]), message="kernel_shape [3]", what="1-D kernel_shape")
    add("conv-strides-1d", conv_attr("strides", [1]), message="strides [1]", what="1-D strides")
    add("conv-stride-0", conv_attr("strides", [0, 1]), message="strides [0, 1]", what="stride 0")
    add("conv-stride-negative", conv_attr("strides", [-1, 1]), message="strides [-1, 1]", what="negative stride")
    add("conv-dilation-0", conv_attr("dilations", [0, 0]), message="dilations [0, 0]", what="dilation 0")
    add("conv-pads-negative", conv_attr("pads", [-1, -1, -1, -1]), message="pads [-1, -1, -1, -1]", what="negative pads")
    add("conv-depthwise-pads-negative", conv_attr("pads", [-2, -2, -2, -2], "dw"), commands=(INSPECT, CLASSIFY),
        message="pads [-2, -2, -2, -2]", what="negative pads on the depthwise conv")
    add("conv-pads-3", conv_attr("pads", [1, 1, 1]), message="pads [1, 1, 1]", what="three pads")
    add("conv-pads-huge", conv_attr("pads", [1 << 40] * 4), message="at most", what="pads of 2^40")
    add("conv-kernel-huge", conv_attr("kernel_shape", [1 << 40, 1 << 40]), message="at most", what="kernel_shape 2^40")
    add("conv-group-0", conv_attr("group", 0), message="group 0", what="group 0")
    add("conv-group-huge", conv_attr("group", 1 << 40), message="group 1099511627776", what="group 2^40")
    add("conv-group-negative", conv_attr("group", -8, "dw"), message="group -8", what="negative group")
    add("conv-group-indivisible", conv_attr("group", 2), message="group 2", what="group 2 for 3 input channels")
    add("conv-auto-pad-bogus", conv_attr("auto_pad", "MIDDLE"), message="auto_pad 'MIDDLE'", what="unknown auto_pad")
    add("conv-kernel-mismatch", conv_attr("kernel_shape", [5, 5]), message="kernel_shape [5, 5]", what="kernel_shape vs 3x3 weights")

    def conv_one_input(n, i, inp, o):
        del node(n, "c1").input[1:]
    add("conv-one-input", conv_one_input, message="1 inputs", what="Conv with only X")

    def conv_four_inputs(n, i, inp, o):
        node(n, "c1").input.append("c1.b")
    add("conv-four-inputs", conv_four_inputs, message="4 inputs", what="Conv with four inputs")

    def conv_w_rank3(n, i, inp, o):
        replace_init(i, weight("c1.w", [8, 3, 9]))
    add("conv-weights-rank3", conv_w_rank3, message="rank 3", what="3-D conv weights")

    def conv_bias_short(n, i, inp, o):
        replace_init(i, weight("c1.b", [4]))
    add("conv-bias-short", conv_bias_short, message="bias", what="bias of 4 for 8 channels")

    def kernel_too_big(n, i, inp, o):
        replace_init(i, weight("c1.w", [8, 3, 9, 9]))
        set_attr(node(n, "c1"), "kernel_shape", [9, 9])
        set_attr(node(n, "c1"), "pads", [0, 0, 0, 0])
    add("conv-kernel-larger-than-input", kernel_too_big, size=8, message="larger than", what="9x9 kernel on an 8x8 input")

    # --- BatchNormalization ---
    def bn_after(conv, channels, lengths, extra_input=None):
        def m(n, i, inp, o):
            k = next(j for j, x in enumerate(n) if x.name == conv)
            out = n[k].output[0]
            n[k].output[0] = out + ".pre"
            names = [out + s for s in (".bn_scale", ".bn_bias", ".bn_mean", ".bn_var")]
            n.insert(k + 1, helper.make_node("BatchNormalization", [out + ".pre"] + names, [out], name=out + ".bn"))
            for nm, ln in zip(names, lengths):
                i.append(helper.make_tensor(nm, TensorProto.FLOAT, [ln], np.ones(ln, np.float32).tobytes(), raw=True))
            if extra_input is not None:
                extra_input(n[k + 1], n, i)
        return m
    add("bn-zero-channels", lambda n, i, inp, o: (replace_init(i, weight("c1.w", [0, 3, 3, 3])), replace_init(i, weight("c1.b", [0])),
                                                   bn_after("c1", 0, [0, 0, 0, 0])(n, i, inp, o)),
        message="empty", what="Conv with 0 output channels folded with a 0-channel BatchNorm")
    add("bn-short-bias", bn_after("c1", 8, [8, 4, 8, 8]), message="statistics", what="folded BatchNorm with a bias of 4 for 8 channels")

    def bn_standalone(n, i, inp, o):
        k = next(j for j, x in enumerate(n) if x.name == "relu1")
        n[k].output[0] = "relu1.pre"
        n.insert(k + 1, helper.make_node("BatchNormalization", ["relu1.pre", "g", "b", "m", "v"], ["relu1"], name="bn"))
        for nm, ln in zip("gbmv", [8, 8, 3, 8]):
            i.append(helper.make_tensor(nm, TensorProto.FLOAT, [ln], np.ones(ln, np.float32).tobytes(), raw=True))
    add("bn-standalone-short-mean", bn_standalone, message="BatchNormalization", what="unfolded BatchNorm with 3 means for 8 channels")

    def bn_one_input(n, i, inp, o):
        k = next(j for j, x in enumerate(n) if x.name == "relu1")
        n[k].output[0] = "relu1.pre"
        n.insert(k + 1, helper.make_node("BatchNormalization", ["relu1.pre"], ["relu1"], name="bn"))
    add("bn-one-input", bn_one_input, message="1 inputs", what="BatchNorm with only X")

    # --- pooling ---
    def pool_attr(key, value):
        return lambda n, i, inp, o: set_attr(node(n, "pool1"), key, value)
    add("pool-dilation-0", pool_attr("dilations", [0, 0]), message="dilations [0, 0]", what="MaxPool dilation 0")
    add("pool-kernel-negative", pool_attr("kernel_shape", [-2, -2]), message="kernel_shape [-2, -2]", what="negative pooling kernel")
    add("pool-kernel-1d", pool_attr("kernel_shape", [2]), message="kernel_shape [2]", what="1-D pooling kernel")
    add("pool-pads-huge", pool_attr("pads", [1 << 40] * 4), message="at most", what="pooling pads 2^40")
    add("pool-stride-0", pool_attr("strides", [0, 0]), message="strides [0, 0]", what="pooling stride 0")

    def pool_no_kernel(n, i, inp, o):
        p = node(n, "pool1")
        for a in list(p.attribute):
            if a.name == "kernel_shape":
                p.attribute.remove(a)
    add("pool-no-kernel", pool_no_kernel, message="kernel_shape is required", what="MaxPool without kernel_shape")

    def avgpool_stride0(n, i, inp, o):
        p = node(n, "pool1")
        p.op_type = "AveragePool"
        set_attr(p, "strides", [0, 2])
    add("avgpool-stride-0", avgpool_stride0, message="strides [0, 2]", what="AveragePool stride 0")

    # --- Reshape ---
    def reshape_to(shape_tensor):
        def m(n, i, inp, o):
            k = next(j for j, x in enumerate(n) if x.name == "flat")
            n[k] = helper.make_node("Reshape", ["gap", "shape"], ["flat"], name="flat")
            i.append(shape_tensor)
        return m
    f32 = lambda vals: helper.make_tensor("shape", TensorProto.FLOAT, [len(vals)], np.array(vals, np.float32).tobytes(), raw=True)
    add("reshape-nan", reshape_to(f32([1, float("nan")])), commands=(INSPECT, CLASSIFY), message="not an integer", what="Reshape to [1, NaN]")
    add("reshape-inf", reshape_to(f32([float("inf"), 8])), message="not an integer", what="Reshape to [inf, 8]")
    add("reshape-wrapping", reshape_to(ints("shape", [1 << 62, 1 << 62, 4])), message="overflows", what="Reshape to dims whose product wraps to 0")
    add("reshape-two-inferred", reshape_to(ints("shape", [-1, -1])), message="invalid target shape", what="two -1s")
    add("reshape-negative", reshape_to(ints("shape", [-5, 8])), message="invalid target shape", what="Reshape to [-5, 8]")
    add("reshape-mismatch", reshape_to(ints("shape", [1, 7])), message="elements", what="8 elements to [1, 7]")

    # --- graph structure ---
    add("graph-no-outputs", lambda n, i, inp, o: o.clear(), message="no outputs", what="graph without outputs")
    add("graph-output-unknown", lambda n, i, inp, o: setattr(o[0], "name", "ghost"), message="not produced", what="output nobody makes")
    add("graph-no-nodes", lambda n, i, inp, o: n.clear(), message="no graph nodes", what="empty graph")
    add("graph-input-not-produced", lambda n, i, inp, o: node(n, "relu2").input.__setitem__(0, "ghost"), message="ghost", what="node reads an undefined value")

    def zero_broadcast(n, i, inp, o):
        k = next(j for j, x in enumerate(n) if x.name == "flat")
        n[k].input[0] = "gap.plus"
        n.insert(k, helper.make_node("Add", ["gap", "zero"], ["gap.plus"], name="add0"))
        i.append(helper.make_tensor("zero", TensorProto.FLOAT, [1, 1, 1, 0], b"", raw=True))
    add("add-zero-size-broadcast", zero_broadcast, message="empty", what="[1,8,1,1] + [1,1,1,0] broadcasts to an empty [1,8,1,0]")

    def bad_broadcast(n, i, inp, o):
        k = next(j for j, x in enumerate(n) if x.name == "relu2")
        n[k].input[0] = "dw.plus"
        n.insert(k, helper.make_node("Add", ["dw", "five"], ["dw.plus"], name="add5"))
        i.append(weight("five", [1, 5, 1, 1]))
    add("add-bad-broadcast", bad_broadcast, message="broadcast", what="[1,8,16,16] + [1,5,1,1]")

    def add_three_inputs(n, i, inp, o):
        k = next(j for j, x in enumerate(n) if x.name == "relu2")
        n[k].input[0] = "dw.plus"
        n.insert(k, helper.make_node("Add", ["dw", "dw", "dw"], ["dw.plus"], name="add3"))
    add("add-three-inputs", add_three_inputs, message="3 inputs", what="Add with three inputs")

    add("gemm-mismatch", lambda n, i, inp, o: replace_init(i, weight("fc.w", [10, 7])), message="Gemm", what="7 features for 8")
    add("flatten-axis-out-of-range", lambda n, i, inp, o: set_attr(node(n, "flat"), "axis", 9), message="axis 9", what="Flatten axis 9")

    def softmax_axis(n, i, inp, o):
        o[0].name = "prob"
        n.append(helper.make_node("Softmax", ["logits"], ["prob"], name="sm", axis=5))
    add("softmax-axis-out-of-range", softmax_axis, message="axis 5", what="Softmax axis 5 of rank 2")

    def concat_axis(n, i, inp, o):
        k = next(j for j, x in enumerate(n) if x.name == "relu2")
        n[k].input[0] = "cat"
        n.insert(k, helper.make_node("Concat", ["dw"], ["cat"], name="cat", axis=7))
    add("concat-axis-out-of-range", concat_axis, message="axis 7", what="Concat axis 7")

    def pad_op(pads):
        def m(n, i, inp, o):
            k = next(j for j, x in enumerate(n) if x.name == "relu2")
            n[k].input[0] = "padded"
            n.insert(k, helper.make_node("Pad", ["dw", "pads"], ["padded"], name="pad"))
            i.append(ints("pads", pads))
        return m
    add("pad-huge", pad_op([0, 0, 1 << 40, 0, 0, 0, 0, 0]), message="pads", what="Pad by 2^40")
    add("pad-crop-all", pad_op([0, 0, -8, -8, 0, 0, -8, -8]), message="empty", what="negative pads crop everything")
    add("pad-wrong-count", pad_op([1, 1, 1]), message="pads", what="three pads for rank 4")

    def lrn0(n, i, inp, o):
        k = next(j for j, x in enumerate(n) if x.name == "relu2")
        n[k].input[0] = "lrn"
        n.insert(k, helper.make_node("LRN", ["dw"], ["lrn"], name="lrn", size=0))
    add("lrn-size-0", lrn0, message="size", what="LRN size 0")

    def clip_computed(n, i, inp, o):
        k = next(j for j, x in enumerate(n) if x.name == "relu2")
        n[k] = helper.make_node("Clip", ["dw", "dw"], ["relu2"], name="relu2")
    add("clip-min-computed", clip_computed, message="must be a constant", what="Clip min from a computed value")

    def dropout_training(n, i, inp, o):
        k = next(j for j, x in enumerate(n) if x.name == "relu2")
        n[k].input[0] = "drop"
        n.insert(k, helper.make_node("Dropout", ["dw", "", "train"], ["drop"], name="drop"))
        i.append(helper.make_tensor("train", TensorProto.BOOL, [], [True]))
    add("dropout-training", dropout_training, message="training mode", what="Dropout in training mode")

    add("op-unsupported", lambda n, i, inp, o: setattr(node(n, "relu2"), "op_type", "Gelu2000"), message="unsupported operator", what="unknown operator")
    add("op-other-domain", lambda n, i, inp, o: setattr(node(n, "relu2"), "domain", "com.example"), message="unsupported operator", what="operator from another domain")

    def constant_no_value(n, i, inp, o):
        n.insert(0, helper.make_node("Constant", [], ["k"], name="k"))
    add("constant-no-value", constant_no_value, message="value", what="Constant without a value")

    # --- files that are not models ---
    valid = model(*base_parts()).SerializeToString()
    add("file-truncated", raw=valid[: len(valid) // 2], message="not a readable ONNX model", what="half of a valid model")
    add("file-truncated-last-byte", raw=valid[:-1], message="not a readable ONNX model", what="a valid model minus one byte")
    add("file-empty", raw=b"", message="the file is empty", what="an empty file")
    add("file-random", raw=np.random.default_rng(3).integers(0, 256, 4096, dtype=np.uint8).tobytes(), message="not a readable ONNX model", what="random bytes")
    add("file-png-magic", raw=b"\x89PNG\r\n\x1a\n" + b"\0" * 64, message="not a readable ONNX model", what="a PNG header")

    # --- manifests (the model is the valid one) ---
    add("manifest-negative-size", commands=(CLASSIFY, LIVE), man=manifest(width=-224), message="input size", what="width -224")
    add("manifest-zero-size", commands=(CLASSIFY,), man=manifest(height=0), message="input size", what="height 0")
    add("manifest-huge-size", commands=(CLASSIFY,), man=manifest(width=99999999999), message="input size", what="width 99999999999")
    add("manifest-two-means", commands=(CLASSIFY,), man=manifest(mean=[127, 127]), message="mean", what="two means")
    add("manifest-std-zero", commands=(CLASSIFY,), man=manifest(std=[128, 0, 128]), message="std", what="a zero std")
    add("manifest-resize-smaller", commands=(CLASSIFY,), man=manifest(resize_shorter=16), message="resize_shorter", what="resize_shorter below the crop")
    add("manifest-labels-count", commands=(CLASSIFY, LIVE), man=manifest(labels="labels5.txt"), message="5 labels", what="5 labels for 10 classes")
    add("manifest-not-json", commands=(CLASSIFY,), man="{ this is not json", message="not a valid manifest", what="broken JSON")
    add("manifest-missing-input", commands=(CLASSIFY,), man={"name": "tiny"}, message="missing", what="no input section")

    # --- memory limit ---
    add("plan-over-limit", commands=("classify --max-memory 1M --model {model} {image}",), size=256, message="memory limit",
        what="a 256x256 plan under --max-memory 1M", man=manifest(256))
    add("ok-plan-under-limit", commands=("classify --max-memory 64M --model {model} {image}",), expect="ok", size=256,
        what="the same model under a sufficient --max-memory")


def main(out_dir):
    build()
    models = os.path.join(out_dir, "models")
    os.makedirs(models, exist_ok=True)
    for f in os.listdir(models):
        os.remove(os.path.join(models, f))
    for name, content in files.items():
        path = os.path.join(models, name)
        if isinstance(content, bytes):
            open(path, "wb").write(content)
        elif isinstance(content, str):
            open(path, "w").write(content)
        else:
            open(path, "w").write(json.dumps(content, indent=1) + "\n")
    open(os.path.join(models, "labels10.txt"), "w").write("".join(f"class {k}\n" for k in range(10)))
    open(os.path.join(models, "labels5.txt"), "w").write("".join(f"class {k}\n" for k in range(5)))
    with open(os.path.join(out_dir, "cases.tsv"), "w") as f:
        f.write("# name\tcommand\texpect\tmessage\twhat   (written by Scripts/make-malformed-models)\n")
        for c in cases:
            f.write("\t".join(c) + "\n")
    print(f"make-malformed-models: {len(files)} files, {len(cases)} cases in {out_dir}")


if __name__ == "__main__":
    main(sys.argv[1])
