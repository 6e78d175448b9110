import Math

extension Rectifier {
    /// The rectifier for another class list, as far as the method allows.
    ///
    /// ReCLIP's class bias runs each class name through the text tower after the learned
    /// Reference prompt, so it exists for any name. Its space bias is one output channel of the
    /// positional network per trained class: a class of the new list keeps its channel when it
    /// was trained (matched by name), and gets none (weights, bias and BatchNorm zero, so the
    /// channel is 0 after the ReLU) when it is new. ReCLIP++'s decoder mixes the K trained
    /// classes' logits in its convolution, so it has no meaning for another list: nil.
    ///
    /// ```swift
    /// let r = trained.transferred(to: ["sky", "road", "dog"])   // dog: class bias only
    /// r?.classesWithoutSpaceBias                                  // ["dog"]
    /// ```
    public func transferred(to names: [String]) -> Rectifier? {
        guard variant == .reclip, let last = spaceLayers.last, !names.isEmpty else { return nil }
        if names == classNames { return self }
        let perChannel = last.inChannels * last.kernel * last.kernel
        var weight: [Float] = [], bias: [Float] = []
        var norm = BatchNormParameters(channels: names.count)
        var missing: [String] = []
        for (k, name) in names.enumerated() {
            if let j = classNames.firstIndex(of: name) {
                weight += last.weight[(j * perChannel)..<((j + 1) * perChannel)]
                bias.append(last.bias[j])
                norm.weight[k] = last.norm.weight[j]; norm.bias[k] = last.norm.bias[j]
                norm.runningMean[k] = last.norm.runningMean[j]; norm.runningVar[k] = last.norm.runningVar[j]
            } else {
                weight += [Float](repeating: 0, count: perChannel)
                bias.append(0)
                norm.weight[k] = 0; norm.bias[k] = 0; norm.runningMean[k] = 0; norm.runningVar[k] = 1
                missing.append(name)
            }
        }
        norm.eps = last.norm.eps
        norm.batchesTracked = last.norm.batchesTracked
        var out = self
        out.classNames = names
        out.spaceLayers[out.spaceLayers.count - 1] = ConvNormLayer(weight: weight, bias: bias, inChannels: last.inChannels,
                                                                   outChannels: names.count, kernel: last.kernel, norm: norm)
        out.classesWithoutSpaceBias = missing
        out.featureReference = nil   // its class means are of the trained list
        out.metadata["transferred_from_classes"] = classNames.joined(separator: ",")
        return out
    }
}
