"""Writes the ONNX seed corpus for Scripts/fuzz onnx: tiny image models (input [1, 3, 8, 8]) that together
use every operator the importer supports. Run: .venv/bin/python Fuzz/make-onnx-seeds.py"""
import os
import numpy as np
import onnx
from onnx import TensorProto, helper as h

out = os.path.join(os.path.dirname(os.path.abspath(__file__)), "corpus", "onnx")
os.makedirs(out, exist_ok=True)
rng = np.random.default_rng(1)


def w(name, *shape):
    return h.make_tensor(name, TensorProto.FLOAT, shape, rng.uniform(-1, 1, shape).astype(np.float32).ravel().tolist())


def save(name, nodes, inits, out_shape, opset=13):
    x = h.make_tensor_value_info("x", TensorProto.FLOAT, [1, 3, 8, 8])
    y = h.make_tensor_value_info("y", TensorProto.FLOAT, out_shape)
    g = h.make_graph(nodes, name, [x], [y], initializer=inits)
    m = h.make_model(g, opset_imports=[h.make_opsetid("", opset)], producer_name="deepvis-fuzz-seed")
    onnx.checker.check_model(m)
    onnx.save(m, os.path.join(out, name + ".onnx"))


save("conv-relu", [h.make_node("Conv", ["x", "W", "B"], ["c"], kernel_shape=[3, 3], pads=[1, 1, 1, 1]),
                   h.make_node("Relu", ["c"], ["y"])], [w("W", 4, 3, 3, 3), w("B", 4)], [1, 4, 8, 8])
save("conv-bn-clip-pool", [
    h.make_node("Conv", ["x", "W"], ["c"], kernel_shape=[3, 3], strides=[2, 2], auto_pad="SAME_UPPER"),
    h.make_node("BatchNormalization", ["c", "s", "b", "m", "v"], ["n"], epsilon=1e-3),
    h.make_node("Clip", ["n", "lo", "hi"], ["r"]),
    h.make_node("MaxPool", ["r"], ["p"], kernel_shape=[2, 2], strides=[2, 2]),
    h.make_node("GlobalAveragePool", ["p"], ["g"]),
    h.make_node("Flatten", ["g"], ["f"]),
    h.make_node("Gemm", ["f", "FW", "FB"], ["y"], transB=1)],
    [w("W", 4, 3, 3, 3), w("s", 4), w("b", 4), w("m", 4),
     h.make_tensor("v", TensorProto.FLOAT, [4], [1, 2, 3, 4]),
     h.make_tensor("lo", TensorProto.FLOAT, [], [0]), h.make_tensor("hi", TensorProto.FLOAT, [], [6]),
     w("FW", 5, 4), w("FB", 5)], [1, 5])
save("depthwise-avgpool", [
    h.make_node("Conv", ["x", "W"], ["c"], kernel_shape=[3, 3], group=3, pads=[1, 1, 1, 1], dilations=[1, 1]),
    h.make_node("AveragePool", ["c"], ["a"], kernel_shape=[3, 3], strides=[1, 1], pads=[1, 1, 1, 1],
                count_include_pad=0),
    h.make_node("HardSwish", ["a"], ["y"])], [w("W", 3, 1, 3, 3)], [1, 3, 8, 8], opset=14)
save("elementwise", [
    h.make_node("Add", ["x", "A"], ["a"]), h.make_node("Mul", ["a", "M"], ["m"]),
    h.make_node("Sub", ["m", "x"], ["s"]), h.make_node("Div", ["s", "D"], ["d"]),
    h.make_node("Sigmoid", ["d"], ["g"]), h.make_node("HardSigmoid", ["g"], ["y"])],
    [w("A", 1, 3, 1, 1), w("M", 8), h.make_tensor("D", TensorProto.FLOAT, [], [2])], [1, 3, 8, 8])
save("reshape-matmul-softmax", [
    h.make_node("Reshape", ["x", "shape"], ["r"]), h.make_node("MatMul", ["r", "W"], ["m"]),
    h.make_node("Softmax", ["m"], ["y"], axis=-1)],
    [h.make_tensor("shape", TensorProto.INT64, [2], [1, -1]), w("W", 192, 10)], [1, 10])
save("concat-pad-lrn", [
    h.make_node("Concat", ["x", "x"], ["c"], axis=1),
    h.make_node("Pad", ["c", "pads"], ["p"], mode="constant"),
    h.make_node("LRN", ["p"], ["l"], size=3),
    h.make_node("Identity", ["l"], ["y"])],
    [h.make_tensor("pads", TensorProto.INT64, [8], [0, 0, 1, 1, 0, 0, 1, 1])], [1, 6, 10, 10])
