import Foundation
import Datasets
import Render
#if canImport(Glibc)
import Glibc
#endif
import FileIO
import CLIP
import ReCLIP

/// Everything the explorer starts with.
public struct ExplorerOptions: Sendable {
    /// The images to browse.
    public var entries: [ImageEntry]
    /// Class names, in the engine's order.
    public var classes: [String]
    /// The engine; `nil` shows images and ground truth only.
    public var engine: (any SegmentationEngine)?
    /// Why no engine could be loaded, if one was asked for.
    public var modelProblem: String?
    /// The classes the ground-truth masks are indexed by, if known.
    public var groundTruthClasses: [String]?
    /// The picture protocol asked for (`--graphics`); nil detects it.
    public var graphics: GraphicsProtocol?
    /// The cell size in pixels asked for (`--cell-size`); nil asks the terminal.
    public var cellSize: CellPixelSize?
    /// The dense head to start with (`--head`; `h` cycles them).
    public var head: DenseHead
    /// Whether the maps start refined by PAMR (`--pamr`; `r` turns it on and off).
    public var refined: Bool

    public init(entries: [ImageEntry], classes: [String], engine: (any SegmentationEngine)?, modelProblem: String? = nil,
                groundTruthClasses: [String]? = nil, graphics: GraphicsProtocol? = nil, cellSize: CellPixelSize? = nil,
                head: DenseHead = .maskclip, refined: Bool = false) {
        self.entries = entries
        self.classes = classes
        self.engine = engine
        self.modelProblem = modelProblem
        self.groundTruthClasses = groundTruthClasses
        self.graphics = graphics
        self.cellSize = cellSize
        self.head = head
        self.refined = refined
    }
}

/// The explorer's UI loop: one thread owns the terminal and the state; decoding, the engine
/// and saving run as background tasks that post their results to a mailbox.
///
/// Each turn: act on caught signals, draw if the state changed (only changed cells reach the
/// terminal), wait up to 50 ms for a key, collect finished background work, and fold every
/// event into the state with `ExplorerState.applying(_:)`.
public final class Explorer {
    let options: ExplorerOptions
    let mailbox = Mailbox()
    /// The engine, and its worker (both replaced when an adapted rectifier is switched to).
    var engine: (any SegmentationEngine)?
    var worker: SegmentationWorker?
    /// Adapting the rectifier to the folder (`T`), if under way.
    var adaptation: Task<Void, Never>?
    /// The engine of the rectifier comparison's other rectifier (`RectifierComparison`), and its
    /// jobs per entry.
    var comparisonWorker: SegmentationWorker?
    var comparisonTasks: [Int: Task<Void, Never>] = [:]
    var state: ExplorerState
    var tasks: [Int: Task<Void, Never>] = [:]
    /// The dataset view's background sweep, if one runs.
    var sweep: Task<Void, Never>?
    /// Where the dataset view's scores are kept between runs (`DatasetScoreCache`).
    public var cacheFolder = ReclipHome.cache()
    /// Engine jobs (segmentations, the dataset sweep) still running, and saves still writing.
    public let computing = WorkInFlight(), saving = WorkInFlight()

    public init(options: ExplorerOptions) {
        self.options = options
        engine = options.engine
        worker = options.engine.map { SegmentationWorker(engine: $0) }
        state = ExplorerState(entries: options.entries, classes: options.classes, model: options.engine?.info,
                              width: 80, height: 24)
        state.modelProblem = options.modelProblem
        state.groundTruthClasses = options.groundTruthClasses
        state.readout = Readout(head: options.head, pamrSteps: options.refined ? Readout.refinedSteps : 0)
    }

    /// Runs until `q` or a terminating signal; returns the process exit status (0, or 128 +
    /// the signal). The terminal is restored in every case. Background jobs are cancelled on
    /// the way out, but an engine job cannot stop inside a matrix product: before the process
    /// exits, call `endProcessSafely(status:)`.
    ///
    /// The loop runs on the main thread (hopping there if called elsewhere): it has no signals
    /// blocked, unlike the concurrency pool's threads, so suspending with SIGTSTP works.
    public func run() throws -> Int32 {
        if Thread.isMainThread { return try loop() }
        // Safe: the caller blocks in `sync` until the loop returns, so the explorer is only
        // ever touched by the main thread while it runs (one owner, never two at once).
        nonisolated(unsafe) let explorer = self
        return try DispatchQueue.main.sync { try explorer.loop() }
    }

    /// Ends the process after the explorer: waits for saves to finish, gives cancelled engine
    /// jobs `grace` seconds, then exits normally if none runs, or with `_exit` if one still
    /// does (exit-time destructors, OpenBLAS's among them, would free memory it is using).
    public func endProcessSafely(status: Int32, grace: Double = 0.2) -> Never {
        _ = saving.waitUntilIdle(seconds: nil)
        let idle = computing.waitUntilIdle(seconds: grace)
        fflush(nil)
        if idle { exit(status) }
        _exit(status)
    }

    /// Where an adapted rectifier is kept: beside the folder the images come from (above a
    /// dataset's JPEGImages/), as `rectifier-adapted.safetensors`, numbered if that exists.
    static func adaptedRectifierDestination(for entries: [ImageEntry]) -> URL {
        var folder = entries.first?.url.deletingLastPathComponent() ?? URL(fileURLWithPath: PathBytes.currentDirectory, isDirectory: true)
        if folder.lastPathComponent == "JPEGImages" { folder = folder.deletingLastPathComponent() }
        var n = 1
        while true {
            let name = n == 1 ? "rectifier-adapted.safetensors" : "rectifier-adapted-\(n).safetensors"
            let url = folder.appendingPathComponent(name)
            if PathKind.of(url.path) == nil { return url }
            n += 1
        }
    }

    func loop() throws -> Int32 {
        // Signals first: one arriving while the terminal is asked about pictures (raw mode) is
        // queued, and the loop's first turn restores the terminal and exits.
        let signals = SignalEvents(SignalEvents.explorerSignals)
        let terminal: Terminal
        do { terminal = try Terminal(graphics: options.graphics, cellSize: options.cellSize) } catch {
            signals.cancel()
            throw error
        }
        defer {
            terminal.end()
            signals.cancel()
            for task in tasks.values { task.cancel() }
            for task in comparisonTasks.values { task.cancel() }
            sweep?.cancel()
            adaptation?.cancel()
        }
        state.halfBlocks = terminal.unicode
        state.colorMode = terminal.colours.mode
        state.graphicsSetup = terminal.setup
        (state.width, state.height) = terminal.size
        perform(state.begin())
        var dirty = true
        var lastTick = DispatchTime.now().uptimeNanoseconds
        while !state.quitting {
            for s in signals.drain() {
                switch s {
                case SIGTSTP:
                    // Suspend: hand the terminal back, then stop with SIGSTOP (which cannot be
                    // caught, so the Dispatch source that caught SIGTSTP stays in place); the
                    // shell's `fg` sends SIGCONT and execution continues here.
                    terminal.suspend()
                    raise(SIGSTOP)
                    terminal.resume()
                    // Only a SIGCONT ends a stop, so the kernel generated one before this line
                    // ran; its event reaches `signals` asynchronously, and is taken here so that
                    // this `fg` repaints once. The bound only guards against an event that never
                    // comes (it would then repaint twice, nothing worse).
                    _ = signals.wait(for: SIGCONT, seconds: 2)
                    (state.width, state.height) = terminal.size
                    dirty = true
                case SIGCONT:
                    // A stop from outside (kill -STOP, then -CONT) repaints; the `fg` after our own
                    // suspend was taken above.
                    terminal.resume()
                    dirty = true
                default:
                    return 128 + s   // SIGINT, SIGTERM, SIGHUP, SIGQUIT: the deferred cleanup restores the terminal
                }
            }
            if dirty {
                terminal.draw(ExplorerFrame(state: state))
                dirty = false
            }
            var events: [ExplorerEvent] = []
            if let event = terminal.nextEvent() { events.append(event) }
            events += mailbox.drain()
            let now = DispatchTime.now().uptimeNanoseconds
            if now - lastTick > 120_000_000 {
                lastTick = now
                let phase = state.spinnerPhase
                state = state.applying(.tick).0
                if state.spinnerPhase != phase { dirty = true }
            }
            for event in events {
                let (next, effects) = state.applying(event)
                state = next
                perform(effects)
                dirty = true
            }
        }
        return 0
    }

    /// Runs `worker` on entry `index`'s photograph in the background, counted in `computing`,
    /// and posts what `progress`, `done` and `failed` make of its progress, maps and error; a
    /// cancelled job posts nothing.
    func segmentInBackground(_ index: Int, worker: SegmentationWorker, progress: (@Sendable (Double) -> ExplorerEvent)?,
                             done: @escaping @Sendable (SegmentationMaps, Double) -> ExplorerEvent,
                             failed: @escaping @Sendable (String) -> ExplorerEvent) -> Task<Void, Never>? {
        guard let picture = state.pictures[index] else { return nil }
        let url = state.entries[index].url
        let classes = state.classes, readout = state.readout
        let mailbox = self.mailbox, computing = self.computing
        computing.begin()
        return Task.detached(priority: .userInitiated) {
            defer { computing.end() }
            do {
                let (maps, seconds) = try await worker.segment(url: url, picture: picture, classes: classes, readout: readout) { fraction in
                    if let progress { mailbox.post(progress(fraction)) }
                }
                if Task.isCancelled { return }
                mailbox.post(done(maps, seconds))
            } catch is CancellationError {
                return
            } catch {
                mailbox.post(failed("\(error)"))
            }
        }
    }

    /// Stops the comparison engine's jobs and lets it go.
    func dropComparison() {
        for task in comparisonTasks.values { task.cancel() }
        comparisonTasks = [:]
        comparisonWorker = nil
    }

    /// Starts the background work an update asked for.
    func perform(_ effects: [ExplorerEffect]) {
        for effect in effects {
            switch effect {
            case .loadImage(let index):
                let entry = state.entries[index]
                let mailbox = self.mailbox
                Task.detached(priority: .userInitiated) {
                    do {
                        let picture = try ImageFile.read(path: entry.url.path)
                        let truth = try entry.groundTruth.map { try ImageFile.readMask(path: $0.path) }
                        mailbox.post(.imageLoaded(index: index, picture: picture, groundTruth: truth))
                    } catch {
                        mailbox.post(.imageFailed(index: index, problem: "\(error)"))
                    }
                }
            case .segment(let index):
                guard let worker else { continue }
                let classes = state.classes, readout = state.readout
                tasks[index]?.cancel()
                tasks[index] = segmentInBackground(index, worker: worker, progress: { .segmentationProgress(index: index, fraction: $0) },
                                                   done: { .segmented(index: index, classes: classes, maps: $0, seconds: $1, readout: readout) },
                                                   failed: { .segmentationFailed(index: index, problem: $0) })
            case .segmentComparison(let index):
                guard let comparisonWorker, let side = state.rectifierComparison?.other else { continue }
                let classes = state.classes, readout = state.readout
                comparisonTasks[index]?.cancel()
                comparisonTasks[index] = segmentInBackground(index, worker: comparisonWorker, progress: nil,
                                                             done: { .comparisonSegmented(index: index, classes: classes, readout: readout, side: side,
                                                                                          maps: $0, seconds: $1) },
                                                             failed: { .comparisonFailed(index: index, side: side, problem: $0) })
            case .cancelComparison(let index):
                comparisonTasks[index]?.cancel()
                comparisonTasks[index] = nil
            case .compareAdapted(let file):
                dropComparison()
                guard let engine else { continue }
                comparisonWorker = SegmentationWorker(engine: engine.replacingRectifier(with: file, variant: engine.info.variant + ", adapted"))
            case .dropComparison:
                dropComparison()
            case .cancelSegmentation(let index):
                tasks[index]?.cancel()
                tasks[index] = nil
            case .sweepDataset(let alpha):
                sweep?.cancel()
                guard let worker else { continue }
                let entries = state.entries, classes = state.classes, readout = state.readout
                let truthMatches = state.groundTruthClasses.map { $0 == classes } ?? true
                let mailbox = self.mailbox
                let computing = self.computing
                let identity = engine?.cacheIdentity, folder = cacheFolder
                computing.begin()
                sweep = Task.detached(priority: .utility) {
                    defer { computing.end() }
                    // Scores from an earlier run of the same setting come first, at once.
                    var cache = identity.map {
                        DatasetScoreCache(folder: folder, setting: DatasetScoreCache.setting(
                            engine: $0 + (truthMatches ? "" : "|no truth"), readout: readout.cacheKey, classes: classes, alpha: alpha))
                    }
                    let stamps = entries.map { ImageEntryStamp($0.url, groundTruth: truthMatches ? $0.groundTruth : nil) }
                    var pending: [Int] = []
                    for (index, stamp) in stamps.enumerated() {
                        if let stamp, let scores = cache?.scores(for: stamp) {
                            mailbox.post(.datasetScored(index: index, alpha: alpha, classes: classes, scores: scores, readout: readout))
                        } else {
                            pending.append(index)
                        }
                    }
                    var unsaved = 0
                    defer { if unsaved > 0 { try? cache?.write() } }
                    for index in pending {
                        let entry = entries[index]
                        if Task.isCancelled { return }
                        do {
                            let picture = try ImageFile.read(path: entry.url.path)
                            let truth = truthMatches ? try entry.groundTruth.map { try ImageFile.readMask(path: $0.path) } : nil
                            let (maps, _) = try await worker.segment(url: entry.url, picture: picture, classes: classes,
                                                                     readout: readout) { _ in }
                            let scores = ImageScores.measure(maps, alpha: alpha, truth: truth.flatMap { t in
                                t.width > 0 && t.height > 0 ? t : nil
                            }, width: picture.width, height: picture.height)
                            mailbox.post(.datasetScored(index: index, alpha: alpha, classes: classes, scores: scores, readout: readout))
                            if let stamp = stamps[index] {
                                cache?.store(scores, for: stamp)
                                unsaved += 1
                                if unsaved >= 25 { try? cache?.write(); unsaved = 0 }
                            }
                        } catch is CancellationError {
                            return
                        } catch {
                            continue  // an unreadable image is left out of the summary (the list marks it when visited)
                        }
                    }
                    mailbox.post(.datasetSwept(alpha: alpha))
                }
            case .adapt:
                adaptation?.cancel()
                guard let engine else { continue }
                let images = state.entries.map(\.url)
                let output = FileManager.default.temporaryDirectory
                    .appendingPathComponent("reclip-adapted-\(getpid())-\(UUID().uuidString.prefix(8)).safetensors")
                let mailbox = self.mailbox, computing = self.computing
                computing.begin()
                adaptation = Task.detached(priority: .utility) {
                    defer { computing.end() }
                    do {
                        let summary = try await engine.adapt(images: images, output: output) { phase, fraction in
                            mailbox.post(.adaptationProgress(phase: phase, fraction: fraction))
                        }
                        mailbox.post(.adapted(file: output, summary: summary))
                    } catch is CancellationError {
                        try? FileManager.default.removeItem(at: output)
                    } catch {
                        mailbox.post(.adaptationFailed(problem: "\(error)"))
                    }
                }
            case .cancelAdaptation:
                adaptation?.cancel()
                adaptation = nil
            case .useAdapted(let file):
                guard let engine else { continue }
                // Kept beside the folder (atomically, never over an existing file), then used.
                var saved: URL? = nil, problem: String? = nil
                do {
                    let target = Self.adaptedRectifierDestination(for: state.entries)
                    try AtomicFile.write(try Data(contentsOf: file), to: target.path)
                    saved = target
                    try? FileManager.default.removeItem(at: file)
                } catch {
                    problem = "\(error)"
                }
                let next = engine.replacingRectifier(with: saved ?? file, variant: engine.info.variant + ", adapted")
                self.engine = next
                // The engine left behind computes the starting rectifier's maps for the comparison (its cache kept).
                dropComparison()
                comparisonWorker = worker
                worker = SegmentationWorker(engine: next)
                mailbox.post(.rectifierSwitched(model: next.info, savedAt: saved?.path, problem: problem))
            case .save:
                let snapshot = state
                let mailbox = self.mailbox
                let saving = self.saving
                saving.begin()
                Task.detached(priority: .utility) {
                    defer { saving.end() }
                    do {
                        mailbox.post(.saved(paths: try ViewExport(state: snapshot).write()))
                    } catch {
                        mailbox.post(.saveFailed(problem: "\(error)"))
                    }
                }
            }
        }
    }
}
