import Imaging
import NeuralNetwork
import Tensors

extension ModelInfo {
    /// The image as the network sees it: shorter side resized (if the manifest says so), centre-cropped to the input size.
    public func networkView(of image: RGBImage) -> RGBImage {
        if let s = resizeShorter, min(image.width, image.height) != s {
            return image.resized(shorterSide: s, centreCroppedTo: inputWidth, inputHeight)
        }
        return image.fitted(width: inputWidth, height: inputHeight, mode: .centreCrop)
    }

    /// Writes the normalized planar input for an image already at the network's size into `tensor` [1,3,H,W].
    public func fill(_ tensor: Tensor, from view: RGBImage) {
        precondition(view.width == inputWidth && view.height == inputHeight, "image \(view.width)x\(view.height) is not the input size")
        if tensor.count >= 3 * inputWidth * inputHeight {
            view.writePlanarFloat(into: tensor.data, mean: mean, std: std)
        } else {
            // Fewer input channels than three: the first planes, as many as fit.
            let plane = view.planarFloat(mean: mean, std: std)
            plane.withUnsafeBufferPointer { tensor.data.update(from: $0.baseAddress!, count: tensor.count) }
        }
    }

    /// A fresh [1,3,H,W] input tensor for any image.
    public func inputTensor(for image: RGBImage) -> Tensor {
        let t = Tensor(shape: [1, 3, inputHeight, inputWidth])
        fill(t, from: networkView(of: image))
        return t
    }
}
