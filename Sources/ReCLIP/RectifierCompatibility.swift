import Math
import FileIO
import ModelFiles
import CLIP
extension Rectifier {
    /// Checks that the rectifier's tensors fit `model`, the CLIP it is about to run with, before
    /// anything is computed: the Reference prompt is as wide as the text tower and, with the
    /// start-of-text token and three name tokens, fits its context; the vocabulary holds CLIP's
    /// start- and end-of-text tokens; ReCLIP's first conv takes the vision width (the positional
    /// embeddings' channels) and its last gives one channel per class; ReCLIP++'s `pe_proj` maps
    /// the vision width to the joint embedding size D and its decoder `D + K` channels to `K`; a
    /// feature reference holds class means of width D.
    ///
    /// Throws a `RectifierFileError` naming `source` and the tensor that does not fit.
    ///
    /// ```swift
    /// let r = try Rectifier.load(from: url, classes: names)
    /// try r.checkCompatible(with: model)   // Segmenter and TrainingRun call it
    /// ```
    public func checkCompatible(with model: CLIPModel) throws {
        let a = model.architecture, K = classCount
        func fail(_ tensor: String?, _ problem: String) -> RectifierFileError {
            RectifierFileError(file: source, tensor: tensor, problem: problem)
        }
        let promptName = "text_encoder.prompt_token"
        guard promptLength > 0, textWidth > 0, prompt.count == promptLength * textWidth else {
            throw fail(promptName, "\(prompt.count) values do not make \(promptLength) tokens of width \(textWidth)")
        }
        guard textWidth == a.textWidth else {
            throw fail(promptName, "the Reference prompt is \(textWidth) wide, the CLIP's text tower \(a.textWidth)")
        }
        guard promptLength + 4 <= a.contextLength else {
            throw fail(promptName, "the Reference prompt's \(promptLength) tokens, start-of-text and three name tokens "
                       + "(\(promptLength + 4)) exceed the CLIP's context of \(a.contextLength) tokens")
        }
        guard a.vocabularySize > max(startOfTextToken, endOfTextToken) else {
            throw fail(nil, "the CLIP's vocabulary of \(a.vocabularySize) tokens lacks the start- and end-of-text tokens "
                       + "(\(startOfTextToken), \(endOfTextToken)) of the Reference prompts")
        }
        switch variant {
        case .reclip:
            guard let first = spaceLayers.first, let last = spaceLayers.last else { throw fail(nil, "ReCLIP rectifier without proj_net layers") }
            guard first.inChannels == a.visionWidth else {
                throw fail("proj_net.0.weight", "\(first.inChannels) input channels, the CLIP's positional embeddings "
                           + "have \(a.visionWidth) (its vision width)")
            }
            for (i, (l, next)) in zip(spaceLayers, spaceLayers.dropFirst()).enumerated() where next.inChannels != l.outChannels {
                throw fail("proj_net.\(3 * (i + 1)).weight", "\(next.inChannels) input channels, but the layer before gives \(l.outChannels)")
            }
            guard last.outChannels == K else {
                throw fail("proj_net.\(3 * (spaceLayers.count - 1)).weight", "rectifier has \(last.outChannels) classes, the class list has \(K)")
            }
        case .reclipPlusPlus:
            let D = peProjBias.count
            guard D == a.embedDim else {
                throw fail("pe_proj.weight", "\(D) output channels, the CLIP's joint embedding has \(a.embedDim)")
            }
            guard peProjWeight.count == D * a.visionWidth else {
                throw fail("pe_proj.weight", "\(peProjWeight.count) values are not [\(D), \(a.visionWidth)]: its input "
                           + "channels must be the CLIP's vision width \(a.visionWidth)")
            }
            guard let decoder else { throw fail(nil, "ReCLIP++ rectifier without a decoder") }
            guard decoder.inChannels == a.embedDim + K, decoder.outChannels == K else {
                throw fail("decoder_conv2.weight", "maps \(decoder.inChannels) channels to \(decoder.outChannels), "
                           + "expected \(a.embedDim + K) (D = \(a.embedDim) features and \(K) classes) to \(K)")
            }
        }
        if let reference = featureReference, reference.dimension != a.embedDim {
            throw fail(FeatureReference.meansTensor, "class means of \(reference.dimension) values, the CLIP's joint embedding has \(a.embedDim)")
        }
    }
}

extension Rectifier {
    /// The dense head whose logits the rectifier was trained on: its file's `head` metadata,
    /// MaskCLIP when the file has none (older files, the authors' checkpoints).
    public var trainedHead: DenseHead { metadata["head"].flatMap(DenseHead.init(rawValue:)) ?? .maskclip }

    /// Checks that the rectifier may rectify `head`'s logits: a rectifier trained on MaskCLIP's
    /// logits (every one `reclip train` writes, and every file without a `head` field) may be
    /// applied to any head, as a baseline (`Segmenter.rectifierNote` says so); one trained on
    /// another head only to that head. Throws a `RectifierFileError` naming both heads.
    public func checkHead(_ head: DenseHead) throws {
        guard trainedHead != head, trainedHead != .maskclip else { return }
        throw RectifierFileError(file: source, problem:
            "trained on \(trainedHead.rawValue) logits, not \(head.rawValue): use --head \(trainedHead.rawValue)")
    }
}
