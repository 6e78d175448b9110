import Foundation
import Pixels
import Render
import FileIO
import CLIP
import ReCLIP

/// A key the explorer reacts to, already decoded from the terminal.
public enum Key: Equatable, Sendable {
    case character(Character)
    case up, down, left, right
    case tab, backTab, escape, enter, home, end
    /// Backspace, Delete, and Ctrl-U (kill the line), for the class prompt.
    case backspace, deleteForward, killLine
}

/// Something that happened: a key, a click, a new terminal size, a timer tick, or a result
/// from the background work.
public enum ExplorerEvent: Sendable {
    case key(Key)
    /// A mouse button press at terminal cell (`x`, `y`).
    case click(x: Int, y: Int)
    case resize(width: Int, height: Int)
    /// Time passes (turns the spinner).
    case tick
    case imageLoaded(index: Int, picture: RGBImage, groundTruth: ClassMask?)
    case imageFailed(index: Int, problem: String)
    case segmentationProgress(index: Int, fraction: Double)
    /// Maps for `classes` read out by `readout`; ignored if the class list or the readout has
    /// changed since they were asked for.
    case segmented(index: Int, classes: [String], maps: SegmentationMaps, seconds: Double, readout: Readout = Readout())
    case segmentationFailed(index: Int, problem: String)
    /// The dataset sweep scored an image (for `classes` at `alpha` with `readout`; ignored if any changed).
    case datasetScored(index: Int, alpha: Float, classes: [String], scores: ImageScores, readout: Readout = Readout())
    /// The dataset sweep went through every image.
    case datasetSwept(alpha: Float)
    /// Adapting the rectifier went on: a phase and progress in 0...1.
    case adaptationProgress(phase: String, fraction: Double)
    /// The adapted rectifier is in `file`.
    case adapted(file: URL, summary: String)
    case adaptationFailed(problem: String)
    /// Maps of the rectifier comparison's other rectifier (`side`) for `classes` with `readout`;
    /// ignored if any of them changed since they were asked for.
    case comparisonSegmented(index: Int, classes: [String], readout: Readout, side: RectifierComparison.Side,
                             maps: SegmentationMaps, seconds: Double)
    case comparisonFailed(index: Int, side: RectifierComparison.Side, problem: String)
    /// The engine now uses the adapted rectifier, saved at `savedAt` (nil: could not be saved).
    case rectifierSwitched(model: ModelInfo, savedAt: String?, problem: String?)
    /// The view was saved to these files.
    case saved(paths: [String])
    case saveFailed(problem: String)
}

/// Work the UI loop starts on behalf of an update; updates themselves never do any.
public enum ExplorerEffect: Equatable, Sendable {
    /// Decode an entry's photograph (and ground truth).
    case loadImage(Int)
    /// Run the engine on an entry's photograph.
    case segment(Int)
    /// Stop the engine's work on an entry (the person moved on).
    case cancelSegmentation(Int)
    /// Write the current view as PNG and ANSI text.
    case save
    /// Score every image raw against rectified at `alpha`, in the background (the dataset view).
    case sweepDataset(alpha: Float)
    /// Adapt the rectifier to the folder's images, in the background (`T`).
    case adapt
    case cancelAdaptation
    /// Save the adapted rectifier in `file` beside the folder and switch the engine to it; the
    /// engine it leaves computes the rectifier comparison's other maps from then on.
    case useAdapted(file: URL)
    /// Make a second engine for the adapted rectifier in `file`, beside the current one, for
    /// the rectifier comparison (`b`); it computes nothing until asked.
    case compareAdapted(file: URL)
    /// Run the rectifier comparison's other rectifier on an entry's photograph.
    case segmentComparison(Int)
    /// Stop the comparison engine's work on an entry.
    case cancelComparison(Int)
    /// Stop all the comparison engine's work and let it go (the adapted rectifier was discarded).
    case dropComparison
}

extension ExplorerState {
    /// The status-line hint when no model is loaded.
    public static let noModelHint = "no model loaded - images only (reclip --weights W, or reclip weights fetch ...)"
    /// The status line's note when the bundled small CLIP is shown a photo from outside its world.
    public static let outsideTheWorldNotice = "photo outside the mini model's world: use --weights for real CLIP"
    /// What alpha keys say when there is no trained bias to subtract.
    public static let noBiasHint = "no trained rectifier - alpha is disabled (raw MaskCLIP only)"

    /// The layout of the current frame.
    public var layout: ExplorerLayout {
        ExplorerLayout(width: width, height: height, view: view,
                       imageAspect: currentPicture.map { Double($0.width) / Double(max(1, $0.height)) } ?? 4.0 / 3.0,
                       inspecting: inspecting, groundTruth: currentEntry?.groundTruth != nil,
                       cellAspect: graphicsSetup.graphics.drawsPixels ? graphicsSetup.cellAspect : 2)
    }

    /// Whether alpha can do anything: a rectifier is loaded (per the model, or per the
    /// current maps once they exist).
    public var alphaIsActive: Bool {
        if let maps = currentMaps { return maps.hasBias }
        return model?.hasRectifier ?? false
    }

    /// Starts the explorer on the first image: the work to begin with, already recorded as
    /// started in the state.
    public mutating func begin() -> [ExplorerEffect] {
        let effects = requestsForSelection()
        noteStarted(effects)
        return effects
    }

    /// The state after `event`, and the work it asks the UI loop to start.
    public func applying(_ event: ExplorerEvent) -> (ExplorerState, [ExplorerEffect]) {
        var next = self
        let effects = next.apply(event)
        next.noteStarted(effects)
        return (next, effects)
    }

    mutating func apply(_ event: ExplorerEvent) -> [ExplorerEffect] {
        switch event {
        case .key(let key):
            message = nil
            return press(key)
        case .click(let x, let y):
            message = nil
            return click(x: x, y: y)
        case .resize(let w, let h):
            width = max(0, w)
            height = max(0, h)
            return []
        case .tick:
            if isComputing || loading.contains(selected) { spinnerPhase &+= 1 }
            return []
        case .imageLoaded(let index, let picture, let truth):
            loading.remove(index)
            pictures[index] = picture
            if let truth { groundTruths[index] = truth }
            evictDistantPictures()
            return index == selected ? requestsForSelection() : []
        case .imageFailed(let index, let problem):
            loading.remove(index)
            imageErrors[index] = problem
            return []
        case .segmentationProgress(let index, let fraction):
            if case .computing? = segmentations[index] {
                segmentations[index] = .computing(progress: max(0, min(1, fraction)))
            }
            return []
        case .segmented(let index, let forClasses, let maps, let seconds, let forReadout):
            guard forClasses == classes, forReadout == readout else { return [] }
            segmentations[index] = .done(maps, seconds: seconds)
            // Say plainly which classes the rectifier only half covers (a live vocabulary).
            if index == selected, maps.hasBias, !maps.classesWithoutSpaceBias.isEmpty {
                message = "class bias only, no space bias (not trained on): " + maps.classesWithoutSpaceBias.joined(separator: ", ")
            }
            return []
        case .segmentationFailed(let index, let problem):
            segmentations[index] = .failed(problem)
            return []
        case .datasetScored(let index, let a, let forClasses, let scores, let forReadout):
            guard a == datasetAlpha, forClasses == classes, forReadout == readout else { return [] }
            datasetScores[index] = scores
            return []
        case .adaptationProgress(let phase, let fraction):
            if case .running? = adaptation { adaptation = .running(phase: phase, progress: max(0, min(1, fraction))) }
            return []
        case .adapted(let file, let summary):
            guard case .running? = adaptation else { return [] }   // cancelled meanwhile
            adaptation = .ready(file: file, summary: summary)
            message = summary
            guard let model else { return [] }
            let shown = rectifierComparison?.shown ?? false
            rectifierComparison = .offered(model: model, images: entries.count, previous: rectifierComparison)
            rectifierComparison?.shown = shown
            return [.compareAdapted(file: file)] + comparisonRequest()
        case .adaptationFailed(let problem):
            adaptation = nil
            message = "adapting failed: \(problem)"
            return []
        case .comparisonSegmented(let index, let forClasses, let forReadout, let side, let maps, let seconds):
            guard forClasses == classes, forReadout == readout, side == rectifierComparison?.other else { return [] }
            rectifierComparison?.otherMaps[index] = .done(maps, seconds: seconds)
            return []
        case .comparisonFailed(let index, let side, let problem):
            guard side == rectifierComparison?.other else { return [] }
            rectifierComparison?.otherMaps[index] = .failed(problem)
            return []
        case .rectifierSwitched(let info, let savedAt, let problem):
            model = info
            let effects = cancelComputing()
            if var comparison = rectifierComparison, !comparison.adaptedInUse {
                // The two rectifiers change sides: the maps computed with each stay valid.
                (segmentations, comparison.otherMaps) = (comparison.otherMaps, segmentations)
                comparison.adaptedInUse = true
                rectifierComparison = comparison
            } else {
                segmentations = [:]
                rectifierComparison?.otherMaps = [:]
            }
            datasetScores = [:]
            datasetAlpha = nil
            message = "using the adapted rectifier" + (savedAt.map { ", saved as \(terminalSafe($0))" } ?? (problem.map { " (not saved: \($0))" } ?? ""))
            return effects + requestsForSelection()
        case .datasetSwept(let a):
            if a == datasetAlpha { datasetSweeping = false }
            return []
        case .saved(let paths):
            message = "saved " + paths.map(terminalSafe).joined(separator: " and ")
            return []
        case .saveFailed(let problem):
            message = "save failed: \(problem)"
            return []
        }
    }

    // MARK: keys

    mutating func press(_ key: Key) -> [ExplorerEffect] {
        let effects = pressKey(key)
        // A view key can bring the rectifier comparison back on screen.
        return effects + comparisonRequest().filter { !effects.contains($0) } + datasetSweepIfNeeded()
    }

    /// A new sweep when the dataset view is on screen and its scores are not for the current
    /// alpha (the engine's maps are cached, so a new alpha costs only the arg-max).
    mutating func datasetSweepIfNeeded() -> [ExplorerEffect] {
        guard view == .dataset, model != nil, datasetAlpha != alpha, !entries.isEmpty else { return [] }
        datasetAlpha = alpha
        datasetScores = [:]
        datasetSweeping = true
        return [.sweepDataset(alpha: alpha)]
    }

    /// Keys of the dataset view: the list of images moves, Enter opens one, m switches the matrix.
    mutating func pressInDataset(_ key: Key) -> [ExplorerEffect]? {
        guard view == .dataset else { return nil }
        let order = DatasetSummary(classes: classes, scores: datasetScores).imagesWorstFirst
        switch key {
        case .character("j"), .down: datasetCursor = min(max(0, order.count - 1), datasetCursor + 1)
        case .character("k"), .up: datasetCursor = max(0, datasetCursor - 1)
        case .character("g"), .home: datasetCursor = 0
        case .character("G"), .end: datasetCursor = max(0, order.count - 1)
        case .character("m"): datasetMatrixRectified.toggle()
        case .enter:
            guard order.indices.contains(datasetCursor) else { return [] }
            view = .compare
            return select(order[datasetCursor])
        default: return nil
        }
        return []
    }

    mutating func pressKey(_ key: Key) -> [ExplorerEffect] {
        if showHelp {
            showHelp = false
            if key == .character("?") || key == .escape { return [] }
        }
        if showProtocol {
            showProtocol = false
            if key == .character("P") || key == .escape { return [] }
        }
        if prompt != nil { return pressInPrompt(key) }
        if let effects = pressInDataset(key) { return effects }
        switch key {
        case .character("q"), .character("Q"):
            quitting = true
        case .character("?"):
            showHelp = true
        case .character("P"):
            showProtocol = true
        case .character("A"):
            guard alphaIsActive else { message = Self.noBiasHint; return [] }
            automaticAlpha.toggle()
            message = automaticAlpha ? "alpha chosen per image without labels (A again: back to \(Format.alpha(alpha)))"
                                     : "alpha fixed at \(Format.alpha(alpha))"
        case .escape:
            inspecting = false
        case .character("j"):
            return select(selected + 1)
        case .character("k"):
            return select(selected - 1)
        case .down:
            if inspecting { moveCursor(dx: 0, dy: 1) } else { return select(selected + 1) }
        case .up:
            if inspecting { moveCursor(dx: 0, dy: -1) } else { return select(selected - 1) }
        case .right:
            if inspecting { moveCursor(dx: 1, dy: 0) } else { return select(selected + 1) }
        case .left:
            if inspecting { moveCursor(dx: -1, dy: 0) } else { return select(selected - 1) }
        case .home, .character("g"):
            return select(0)
        case .end, .character("G"):
            return select(entries.count - 1)
        case .tab:
            view = view.next
        case .backTab:
            view = view.previous
        case .character(let c) where ("1"..."5").contains(c):
            view = ExplorerView(rawValue: Int(String(c))!)!
        case .character("-"), .character("["), .character("_"):
            setAlpha(alpha - Self.alphaStep)
        case .character("+"), .character("="), .character("]"):
            setAlpha(alpha + Self.alphaStep)
        case .character("0"):
            setAlpha(0)
        case .character("p"):
            setAlpha(Self.paperAlpha)
        case .character("o"):
            if view == .overlay { overlay = overlay.next } else { view = .overlay }
        case .character("<"), .character(","):
            opacity = max(0, ((opacity - 0.1) * 10).rounded() / 10)
        case .character(">"), .character("."):
            opacity = min(1, ((opacity + 0.1) * 10).rounded() / 10)
        case .character("c"):
            if !classes.isEmpty { focusClass = (focusClass + 1) % classes.count }
        case .character("C"):
            if !classes.isEmpty { focusClass = (focusClass + classes.count - 1) % classes.count }
        case .character("i"):
            inspecting.toggle()
        case .character("T"):
            return adaptKey()
        case .character("y"):
            guard case .ready(let file, _)? = adaptation else { return [] }
            adaptation = nil
            message = "switching to the adapted rectifier..."
            return [.useAdapted(file: file)]
        case .character("n"):
            guard case .ready? = adaptation else { return [] }
            adaptation = nil
            message = "kept the current rectifier (the adapted one is discarded)"
            return dropOfferedComparison()
        case .character("b"):
            return compareKey()
        case .character("h"):
            let all = DenseHead.allCases
            return setHead(all[((all.firstIndex(of: head) ?? 0) + 1) % all.count])
        case .character("r"):
            return toggleRefinement()
        case .character(" "):
            toggleFocusClass()
        case .character("a"):
            prompt = ClassPrompt(kind: .add, text: "")
        case .character("e"):
            prompt = ClassPrompt(kind: .edit, text: classes.joined(separator: ", "))
        case .character("x"):
            guard classes.indices.contains(focusClass) else { return [] }
            guard classes.count > 1 else { message = "the last class cannot be removed"; return [] }
            var names = classes
            let removed = names.remove(at: focusClass)
            let effects = setClasses(names)
            message = "removed \(removed)"
            return effects
        case .character("s"):
            guard currentPicture != nil else {
                message = "nothing to save yet: the image is still loading"
                return []
            }
            message = "saving..."
            return [.save]
        default:
            break
        }
        return []
    }

    /// Keys while the class prompt is open: editing, Enter applies, Esc cancels.
    mutating func pressInPrompt(_ key: Key) -> [ExplorerEffect] {
        guard var p = prompt else { return [] }
        switch key {
        case .escape:
            prompt = nil
            message = "classes unchanged"
            return []
        case .enter:
            prompt = nil
            let typed = p.text.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty }
            var names = p.kind == .add ? classes : []
            for name in typed where !names.contains(name) { names.append(name) }
            guard !names.isEmpty else { message = "no classes given: unchanged"; return [] }
            guard names != classes else { message = "classes unchanged"; return [] }
            let effects = setClasses(names)
            if p.kind == .add, let first = typed.first, let k = classes.firstIndex(of: first) { focusClass = k }
            return effects
        default:
            p.edit(key)
            prompt = p
            return []
        }
    }

    /// A new class list: the engine runs again for it (its text classifier is built in the
    /// background), results for the old list are dropped, hidden classes and the dataset view reset.
    mutating func setClasses(_ names: [String]) -> [ExplorerEffect] {
        let effects = dropMaps()
        classes = names
        hiddenClasses = []
        focusClass = min(focusClass, names.count - 1)
        datasetScores = [:]
        datasetAlpha = nil
        message = "classes: \(names.joined(separator: ", "))"
        return effects + requestsForSelection()
    }

    /// `T`: adapt the rectifier to the open folder in the background, or cancel the run.
    mutating func adaptKey() -> [ExplorerEffect] {
        if case .running? = adaptation {
            adaptation = nil
            message = "adapting cancelled"
            return [.cancelAdaptation]
        }
        guard let model, model.hasRectifier, !model.trainingFree else {
            message = "adapting needs a trained rectifier: "
                + (model.map { $0.trainingFree ? "\($0.variant) is training-free" : "this model has none" } ?? Self.noModelHint)
            return []
        }
        guard !entries.isEmpty else { message = "no images to adapt to"; return [] }
        // An offer not taken is replaced by the new run's result.
        let dropped = dropOfferedComparison()
        adaptation = .running(phase: "starting", progress: 0)
        message = "adapting the rectifier to the \(entries.count) images of this folder in the background (T cancels)"
        return dropped + [.adapt]
    }

    /// `b`: the compare view shows the rectifier an adaptation started from against the adapted
    /// one (from another view it opens the compare view so), or raw against rectified again.
    mutating func compareKey() -> [ExplorerEffect] {
        guard var comparison = rectifierComparison else {
            if case .running(_, let p)? = adaptation {
                message = "no adapted rectifier yet: adapting \(Format.percent(p)); b compares once it is offered"
            } else {
                message = "no adapted rectifier to compare with: T adapts the current one to this folder"
            }
            return []
        }
        comparison.shown = view == .compare ? !comparison.shown : true
        view = .compare
        rectifierComparison = comparison
        let pair = "\(comparison.startingName) against \(comparison.adaptedName)"
        message = comparison.shown ? "compare: \(pair), both at the shown alpha (b: raw against rectified)"
                                   : "compare: raw against rectified (b: \(pair))"
        return comparisonRequest()
    }

    /// Forgets the rectifier comparison while its adapted rectifier is only offered (`n`, or a
    /// new `T`): the second engine goes with it.
    mutating func dropOfferedComparison() -> [ExplorerEffect] {
        guard let comparison = rectifierComparison, !comparison.adaptedInUse else { return [] }
        rectifierComparison = nil
        return [.dropComparison]
    }

    /// Stops the engines' work in flight (both rectifiers of a comparison), except on `keep`,
    /// and forgets it; finished maps stay.
    mutating func cancelComputing(except keep: Int? = nil) -> [ExplorerEffect] {
        var effects: [ExplorerEffect] = []
        for (index, status) in segmentations where index != keep {
            if case .computing = status {
                segmentations[index] = nil
                effects.append(.cancelSegmentation(index))
            }
        }
        for (index, status) in rectifierComparison?.otherMaps ?? [:] where index != keep {
            if case .computing = status {
                rectifierComparison?.otherMaps[index] = nil
                effects.append(.cancelComparison(index))
            }
        }
        return effects
    }

    /// Drops every image's maps (a new class list or head): the work in flight is stopped and
    /// both rectifiers of a comparison compute again.
    mutating func dropMaps() -> [ExplorerEffect] {
        let effects = cancelComputing()
        segmentations = [:]
        rectifierComparison?.otherMaps = [:]
        return effects
    }

    /// A new dense head (`h`): the engine runs again with it, from its cache when the image was
    /// seen with that head; the dataset view is scored anew. Hidden classes and alpha stay.
    mutating func setHead(_ new: DenseHead) -> [ExplorerEffect] {
        guard model != nil else {
            message = "heads need a model: " + Self.noModelHint
            return []
        }
        let effects = setReadout(Readout(head: new, pamrSteps: readout.pamrSteps))
        message = "head \(new.displayName), templates \(new.defaultTemplates.summary)"
            + (model?.hasRectifier == true && model?.trainingFree != true && new != .maskclip ? "; the rectifier (trained on MaskCLIP logits) applied as is" : "")
        return effects
    }

    /// PAMR refinement on or off (`r`): every map (raw, biases, rectified) refined along the
    /// image's colours at the image's own size (at most `Readout.maxRefinedPixels`), as `reclip
    /// segment --pamr` does. The engine runs again, from its cache when the image was seen so;
    /// the dataset view is scored anew.
    mutating func toggleRefinement() -> [ExplorerEffect] {
        guard model != nil else {
            message = "refinement needs a model: " + Self.noModelHint
            return []
        }
        let effects = setReadout(Readout(head: head, pamrSteps: readout.isRefined ? 0 : Readout.refinedSteps))
        message = readout.isRefined
            ? "PAMR \(readout.pamrSteps) steps: every map refined along the image's colours (r again: off)"
            : "PAMR off: the maps on the patch grid, as the head gives them"
        return effects
    }

    /// Another readout (`h`, `r`): the maps read out the old way go, the dataset view is scored
    /// anew, and the engine is asked for the selection's maps. Hidden classes and alpha stay.
    mutating func setReadout(_ new: Readout) -> [ExplorerEffect] {
        let effects = dropMaps()
        readout = new
        datasetScores = [:]
        datasetAlpha = nil
        return effects + requestsForSelection()
    }

    /// Leaves the focus class out of the arg-max, or takes it back; the last class shown stays.
    mutating func toggleFocusClass() {
        guard classes.indices.contains(focusClass) else { return }
        if hiddenClasses.contains(focusClass) {
            hiddenClasses.remove(focusClass)
            message = "\(classes[focusClass]) back in the masks"
        } else if hiddenClasses.count + 1 < classes.count {
            hiddenClasses.insert(focusClass)
            message = "\(classes[focusClass]) left out of the masks (Space or a click again brings it back)"
        } else {
            message = "at least one class must stay in the masks"
        }
    }

    /// Moves alpha to `value` (rounded to the step, clamped), or explains why it cannot move.
    mutating func setAlpha(_ value: Float) {
        guard model != nil else {
            message = "alpha needs a model: " + Self.noModelHint
            return
        }
        guard alphaIsActive else {
            message = Self.noBiasHint
            return
        }
        // A key that moves alpha starts from what is shown, and fixes it again.
        let base = automaticAlpha ? shownAlpha + (value - alpha) : value
        automaticAlpha = false
        let stepped = (base / Self.alphaStep).rounded() * Self.alphaStep
        alpha = min(Self.alphaRange.upperBound, max(Self.alphaRange.lowerBound, stepped))
    }

    mutating func moveCursor(dx: Int, dy: Int) {
        guard let picture = layout.panels.first?.picture, !picture.isEmpty else { return }
        let here = cursor.cell(columns: picture.width, rows: picture.height)
        let column = min(picture.width - 1, max(0, here.x + dx))
        let row = min(picture.height - 1, max(0, here.y + dy))
        cursor = CursorPosition(u: (Double(column) + 0.5) / Double(picture.width),
                                v: (Double(row) + 0.5) / Double(picture.height))
    }

    // MARK: mouse

    mutating func click(x: Int, y: Int) -> [ExplorerEffect] {
        if showHelp { showHelp = false; return [] }
        let layout = self.layout
        guard !layout.isTooSmall else { return [] }
        if layout.list.contains(x, y) && x < layout.list.x + layout.list.width - 1 {
            let rows = Self.window(count: entries.count, focus: selected, rows: layout.list.height - 1)
            let index = rows.lowerBound + (y - layout.list.y - 1)
            if y > layout.list.y && rows.contains(index) { return select(index) }
            return []
        }
        if layout.legend.contains(x, y) {
            if let index = legendEntry(x: x, y: y, layout: layout) { clickClass(index) }
            return []
        }
        for panel in layout.panels where panel.picture.contains(x, y) {
            inspecting = true
            cursor = CursorPosition(u: (Double(x - panel.picture.x) + 0.5) / Double(panel.picture.width),
                                    v: (Double(y - panel.picture.y) + 0.5) / Double(panel.picture.height))
            return []
        }
        return []
    }

    /// The class whose legend entry is drawn at cell (`x`, `y`), if any.
    func legendEntry(x: Int, y: Int, layout: ExplorerLayout) -> Int? {
        if layout.legendIsColumn {
            let rows = Self.window(count: classes.count, focus: focusClass, rows: layout.legendEntryRows)
            let index = rows.lowerBound + (y - layout.legend.y - 1)
            return y > layout.legend.y && rows.contains(index) ? index : nil
        }
        let frame = ExplorerFrame(state: self)
        let shares = frame.classShares()
        let labels = classes.indices.map { " " + frame.legendLabel($0, shares: shares) + " " }
        return ExplorerLayout.legendRowEntries(labels: labels, in: layout.legend)
            .first { y == $0.y && x >= $0.x && x < $0.x + $0.width }?.index
    }

    /// A click on a class leaves it out of the masks or takes it back, as Space does on the
    /// focus class, and makes it the focus (the bias view follows it; `c` / `C` focus without
    /// hiding).
    mutating func clickClass(_ index: Int) {
        focusClass = index
        toggleFocusClass()
    }

    static func window(count: Int, focus: Int, rows: Int) -> Range<Int> {
        ExplorerLayout.window(count: count, focus: focus, rows: rows)
    }

    // MARK: selection and background work

    mutating func select(_ index: Int) -> [ExplorerEffect] {
        guard !entries.isEmpty else { return [] }
        let target = max(0, min(entries.count - 1, index))
        guard target != selected else { return [] }
        // Stale engine work for the image being left is cancelled, so that revisiting it asks again.
        let effects = cancelComputing(except: target)
        selected = target
        return effects + requestsForSelection()
    }

    /// Loads the current image (and the next one, to have it ready), and runs the engine on
    /// the current image once it is decoded.
    func requestsForSelection() -> [ExplorerEffect] {
        var effects: [ExplorerEffect] = []
        for index in [selected, selected + 1] where entries.indices.contains(index) {
            if pictures[index] == nil && !loading.contains(index) && imageErrors[index] == nil {
                effects.append(.loadImage(index))
            }
        }
        if model != nil && pictures[selected] != nil && segmentations[selected] == nil {
            effects.append(.segment(selected))
        }
        return effects + comparisonRequest()
    }

    /// The other rectifier's maps for the current image, when the compare view shows the
    /// rectifier comparison and they were not asked for.
    func comparisonRequest() -> [ExplorerEffect] {
        guard comparesRectifiers, pictures[selected] != nil, rectifierComparison?.otherMaps[selected] == nil else { return [] }
        return [.segmentComparison(selected)]
    }

    /// Records what the effects start (loading, computing), so they are not asked for twice.
    mutating func noteStarted(_ effects: [ExplorerEffect]) {
        for effect in effects {
            switch effect {
            case .loadImage(let i): loading.insert(i)
            case .segment(let i): segmentations[i] = .computing(progress: 0)
            case .segmentComparison(let i): rectifierComparison?.otherMaps[i] = .computing(progress: 0)
            case .cancelSegmentation, .save, .sweepDataset, .adapt, .cancelAdaptation, .useAdapted,
                 .compareAdapted, .cancelComparison, .dropComparison: break
            }
        }
    }

    mutating func evictDistantPictures() {
        while pictures.count > Self.pictureCacheSize {
            guard let far = pictures.keys.max(by: { abs($0 - selected) < abs($1 - selected) }) else { return }
            pictures[far] = nil
            groundTruths[far] = nil
            // Its maps go too (refined ones are as large as the image); coming back asks the
            // worker, which remembers the recent ones.
            if case .done? = segmentations[far] { segmentations[far] = nil }
            if case .done? = rectifierComparison?.otherMaps[far] { rectifierComparison?.otherMaps[far] = nil }
        }
    }
}

/// The one-line class prompt: `a` adds classes (comma separated), `e` edits the whole list.
/// Editing keys: characters insert at the cursor, left / right / Home / End move, Backspace and
/// Delete remove, Ctrl-U clears; Enter applies, Esc cancels.
public struct ClassPrompt: Sendable, Equatable {
    public enum Kind: Sendable, Equatable { case add, edit }
    public var kind: Kind
    public var text: String
    /// Insertion point, in characters from the start.
    public var cursor: Int

    public init(kind: Kind, text: String) {
        self.kind = kind
        self.text = text
        cursor = text.count
    }

    /// The label before the text.
    public var label: String { kind == .add ? "add classes (comma separated): " : "classes: " }

    mutating func edit(_ key: Key) {
        var chars = Array(text)
        switch key {
        case .character(let c): chars.insert(c, at: cursor); cursor += 1
        case .backspace: if cursor > 0 { chars.remove(at: cursor - 1); cursor -= 1 }
        case .deleteForward: if cursor < chars.count { chars.remove(at: cursor) }
        case .killLine: chars = []; cursor = 0
        case .left: cursor = max(0, cursor - 1)
        case .right: cursor = min(chars.count, cursor + 1)
        case .home: cursor = 0
        case .end: cursor = chars.count
        default: break
        }
        text = String(chars)
    }
}
