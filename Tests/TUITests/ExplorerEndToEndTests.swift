import Foundation
import XCTest
import TestSupport
import Math

/// The real `reclip` binary driven in tmux: browsing, views, ground truth, help, resize,
/// suspend and resume, signals, and the terminal left as it was found.
final class ExplorerEndToEndTests: XCTestCase {
    var tmux: TmuxSession!
    var reclip = ""
    static let dataset = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
        .appendingPathComponent("../Fixtures/tui/voc").standardizedFileURL.path

    override func setUpWithError() throws {
        reclip = try TmuxSession.locateReclip()
        tmux = try TmuxSession(width: 120, height: 36)
    }

    override func tearDown() {
        tmux?.kill()
    }

    /// Starts the explorer on the fixture dataset, then prints its exit status and the terminal
    /// modes once it ends.
    func launch(_ arguments: String = dataset + " --no-model", report: Bool = true) throws {
        try tmux.type("\(reclip) \(arguments)" + (report ? "; " + Self.reportModes : ""))
        try tmux.waitFor("the first frame") { $0.contains("? help") && $0.contains("1/3") }
    }

    /// Prints the last exit status and the terminal's canonical and echo modes, then a marker
    /// (typed split in two so that the typed line does not match it).
    static let reportModes = "echo EXIT=$?; stty -a | tr ' ' '\\n' | grep -x -e icanon -e -icanon -e echo -e -echo | tr '\\n' ' '; echo MO\"\"DES"

    /// After the explorer ended: its exit status, and that the shell's terminal is sane again.
    func assertRestored(exit status: Int32, file: StaticString = #filePath, line: UInt = #line) throws {
        let screen = try tmux.waitFor("MODES", seconds: 5) { $0.contains("MODES") }
        XCTAssertTrue(screen.contains("EXIT=\(status)"), "exit status: \(screen)", file: file, line: line)
        XCTAssertTrue(screen.contains("icanon echo MODES"), "terminal modes not restored: \(screen)", file: file, line: line)
        XCTAssertEqual(try tmux.pane("alternate_on"), "0", "still on the alternate screen", file: file, line: line)
    }

    /// `--precision bf16` on the bundled model: the status line and the protocol panel name the
    /// precision that runs, bf16 where the CPU has AVX512_BF16 and "fp32 (no AVX512_BF16)" elsewhere.
    func testPrecisionIsNamedInTheStatusLineAndTheProtocolPanel() throws {
        let samples = URL(fileURLWithPath: Self.dataset).appendingPathComponent("../../../../samples/world").standardizedFileURL.path
        try tmux.type("\(reclip) \(samples) --precision bf16; " + Self.reportModes)
        let accelerated = Precision.bf16.available.precision == .bf16
        let named = accelerated ? "bf16" : "fp32 (no AVX512_BF16)"
        var screen = try tmux.waitFor("the first scene's masks", seconds: 60) { $0.contains("engine") && $0.contains("1/24") }
        XCTAssertTrue(screen.contains("(ReCLIP++, \(named))"), screen)
        try tmux.press("P")
        screen = try tmux.waitFor("the protocol panel with its precision row") {
            $0.contains("protocol - the settings behind the numbers") && $0.contains("precision")
        }
        XCTAssertTrue(screen.contains(accelerated ? "bf16: image tower weights and inputs in bfloat16, float32 accumulation"
                                                  : "precision   fp32 (no AVX512_BF16)"), screen)
        try tmux.press("Escape")
        try tmux.press("q")
        try assertRestored(exit: 0)
    }

    /// `--pamr` on the bundled model starts with refined maps, named in the status line and the
    /// protocol panel; `r` turns refinement off and the engine's maps (and their mIoU) change.
    func testPAMRRefinesTheMapsAndRTurnsItOff() throws {
        let samples = URL(fileURLWithPath: Self.dataset).appendingPathComponent("../../../../samples/world").standardizedFileURL.path
        try tmux.type("\(reclip) \(samples) --pamr; " + Self.reportModes)
        func rectifiedCaption(_ screen: String) -> String? {
            screen.range(of: #"rectified \(alpha 1\.0\)  mIoU [0-9.]+"#, options: .regularExpression).map { String(screen[$0]) }
        }
        var screen = try tmux.waitFor("the first scene's refined masks", seconds: 60) {
            $0.contains("engine") && $0.contains("1/24") && rectifiedCaption($0) != nil
        }
        XCTAssertTrue(screen.contains("head MaskCLIP, PAMR 10"), screen)
        let refined = try XCTUnwrap(rectifiedCaption(screen))
        try tmux.press("P")
        screen = try tmux.waitFor("the protocol panel with its refinement row") {
            $0.contains("protocol - the settings behind the numbers") && $0.contains("refinement")
        }
        XCTAssertTrue(screen.contains("PAMR 10 steps, dilations 8 and 16"), screen)
        try tmux.press("Escape")
        try tmux.press("r")
        screen = try tmux.waitFor("the first scene's masks on the patch grid", seconds: 60) {
            // The message comes first in the status line, and pushes the engine's time off it.
            $0.contains("PAMR off") && rectifiedCaption($0) != nil
        }
        XCTAssertFalse(screen.contains("head MaskCLIP, PAMR"), screen)
        XCTAssertNotEqual(try XCTUnwrap(rectifiedCaption(screen)), refined, "the refined masks score otherwise: \(screen)")
        try tmux.press("q")
        try assertRestored(exit: 0)
    }

    /// `--rectifier cls-subtract` on the bundled model: named in the status line and the protocol
    /// panel, its class bias in the bias view.
    func testClsSubtractIsARectifierOfItsOwn() throws {
        let samples = URL(fileURLWithPath: Self.dataset).appendingPathComponent("../../../../samples/world").standardizedFileURL.path
        try tmux.type("\(reclip) \(samples) --rectifier cls-subtract; " + Self.reportModes)
        var screen = try tmux.waitFor("the first scene's masks", seconds: 60) { $0.contains("engine") && $0.contains("1/24") }
        XCTAssertTrue(screen.contains("(cls-subtract (SegEarth-OV))"), screen)
        XCTAssertTrue(screen.contains("rectified (alpha 1.0)"), screen)
        try tmux.press("2")
        screen = try tmux.waitFor("class bias (cls-subtract)")
        XCTAssertTrue(screen.contains("space bias: none (cls-subtract)"), screen)
        try tmux.press("P")
        screen = try tmux.waitFor("the protocol panel with its class bias row") {
            $0.contains("protocol - the settings behind the numbers") && $0.contains("training-free class bias")
        }
        XCTAssertTrue(screen.contains("training-free class bias"), screen)
        try tmux.press("Escape")
        try tmux.press("q")
        try assertRestored(exit: 0)
    }

    /// The instrument on the bundled model and the 24 world samples: the paper's figure, the
    /// dataset view and its worst image, hiding a class, automatic alpha, the protocol panel.
    func testDatasetViewWorstImageHiddenClassAutoAlphaAndProtocol() throws {
        let samples = URL(fileURLWithPath: Self.dataset).appendingPathComponent("../../../../samples/world").standardizedFileURL.path
        try tmux.type("\(reclip) \(samples); " + Self.reportModes)
        var screen = try tmux.waitFor("the first scene's masks", seconds: 60) { $0.contains("engine") && $0.contains("1/24") }
        for caption in ["image", "ground truth", "raw CLIP  mIoU", "rectified (alpha 1.0)  mIoU"] {
            XCTAssertTrue(screen.contains(caption), "view 1 lacks \(caption): \(screen)")
        }
        try tmux.press("5")
        // Enter opens the image at the top of the list (the worst change) in view 1.
        // (The side list of images is on the left of the same rows: read from the column where
        // the dataset view's list starts.)
        func worstImage(_ screen: String) -> String? {
            let lines = screen.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
            guard let listTitle = lines.firstIndex(where: { $0.contains("images by mIoU change") }), listTitle + 1 < lines.count,
                  let column = lines[listTitle].range(of: "images by mIoU change")?.lowerBound else { return nil }
            let row = lines[listTitle + 1]
            let tail = String(row[row.index(row.startIndex, offsetBy: min(row.count, lines[listTitle].distance(from: lines[listTitle].startIndex, to: column)))...])
            return tail.range(of: #"world_\d{6}\.png"#, options: .regularExpression).map { String(tail[$0]) }
        }
        // The whole view, not a frame caught before the list's rows are drawn.
        screen = try tmux.waitFor("every sample scored and listed", seconds: 120) {
            $0.contains("24/24 images at alpha 1.0") && worstImage($0) != nil
        }
        XCTAssertTrue(screen.contains("per-class IoU"), screen)
        XCTAssertTrue(screen.contains("images by mIoU change"), screen)
        let worst = try XCTUnwrap(worstImage(screen), screen)
        try tmux.press("Enter")
        // The title bar names the image on screen: the worst one, in view 1.
        screen = try tmux.waitFor("the worst image in view 1", seconds: 30) { screen in
            screen.split(separator: "\n").first.map { $0.contains(worst + "  ") } == true && screen.contains("raw CLIP")
        }
        // Space hides the focus class (sky) from the masks; A turns automatic alpha on.
        try tmux.press("Space")
        try tmux.waitFor("sky (hidden)")
        try tmux.press("A")
        try tmux.waitFor("alpha auto")
        try tmux.press("P")
        // The whole panel, not a frame caught between its title and its rows (a CI run saw that).
        screen = try tmux.waitFor("the protocol panel with the model's hash") {
            $0.contains("protocol - the settings behind the numbers") && $0.contains("sha-256")
        }
        XCTAssertTrue(screen.contains("sha-256"), screen)
        try tmux.press("Escape")
        // A class typed live: it joins the legend and the masks are computed for the new list;
        // the bundled ReCLIP rectifies it with its class bias only (it has no space bias for a
        // class it was not trained on), and the caption says so.
        try tmux.press("a")
        try tmux.type("lighthouse")
        screen = try tmux.waitFor("the new class in the legend, rectified by its class bias", seconds: 60) {
            $0.contains("lighthouse") && $0.contains("(not trained on): lighthouse")
        }
        XCTAssertTrue(screen.contains("~lighthouse"), "the legend marks the class with class bias only: \(screen)")
        // h: the next dense head, computed in the background and named on screen.
        try tmux.press("h")
        screen = try tmux.waitFor("the SCLIP head's masks", seconds: 60) {
            // The new head's maps are in when the note on the new class comes back.
            $0.contains("raw SCLIP") && $0.contains("class bias only, no space bias")
        }
        try tmux.press("q")
        try assertRestored(exit: 0)
    }

    func testBrowseViewsGroundTruthHelpAndQuit() throws {
        try launch()
        var screen = try tmux.screen()
        XCTAssertTrue(screen.contains("no model loaded - images only"), screen)
        XCTAssertTrue(screen.contains("scene-1.png  1/3"), screen)
        XCTAssertTrue(screen.contains("sky"), "classes from classes.txt: \(screen)")
        XCTAssertEqual(try tmux.pane("alternate_on"), "1")
        // No model: the compare view shows the image and the ground truth.
        try tmux.waitFor("ground truth")
        try tmux.press("j")
        try tmux.waitFor("scene-2.png  2/3")
        try tmux.press("Down")
        try tmux.waitFor("scene-3.png  3/3")
        try tmux.press("k")
        try tmux.waitFor("scene-2.png  2/3")
        // Views by number and Tab.
        try tmux.press("2")
        try tmux.waitFor("class bias")
        try tmux.press("Tab")
        try tmux.waitFor("difference")
        try tmux.press("4")
        try tmux.waitFor("mask over image")
        try tmux.press("o")
        screen = try tmux.waitFor("ground truth (opacity 50%)")
        // Ground truth blended over the image: the sky class colour mixed into the sky.
        let colours = try tmux.screen(escapes: true)
        XCTAssertTrue(colours.contains("\u{1b}["), "no colours on screen")
        XCTAssertTrue(colours.contains("48;5;"), "256-colour backgrounds (half blocks) expected: \(colours.prefix(400))")
        try tmux.press(">")
        try tmux.waitFor("ground truth (opacity 60%)")
        // Alpha without a model explains itself.
        try tmux.press("+")
        try tmux.waitFor("alpha needs a model")
        // Inspect needs maps.
        try tmux.press("i")
        try tmux.waitFor("inspect: needs the engine's maps")
        try tmux.press("Escape")
        // Help overlay, closed by any key.
        try tmux.press("?")
        try tmux.waitFor("reclip explorer - keys")
        try tmux.press("Escape")
        try tmux.waitFor("help gone") { !$0.contains("reclip explorer - keys") }
        try tmux.press("q")
        try assertRestored(exit: 0)
    }

    /// With the tiny fixture CLIP and a ReCLIP rectifier (Tests/Fixtures/reclip): masks, alpha
    /// live, inspect, bias maps, difference, and saving next to the image.
    func testEngineAlphaInspectBiasAndSave() throws {
        let fixtures = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("../Fixtures/reclip").standardizedFileURL
        let weights = fixtures.appendingPathComponent("tiny_clip.safetensors").path
        let rectifier = fixtures.appendingPathComponent("reclip.safetensors").path
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("reclip-e2e-\(getpid())-\(UUID().uuidString)")
        try FileManager.default.copyItem(at: URL(fileURLWithPath: Self.dataset), to: folder)
        defer { try? FileManager.default.removeItem(at: folder) }
        try launch("\(folder.path) --weights \(weights) --rectifier \(rectifier) --size 32")
        var screen = try tmux.waitFor("engine", seconds: 20)
        XCTAssertTrue(screen.contains("model tiny_clip (ReCLIP)"), screen)
        XCTAssertTrue(screen.contains("raw CLIP"), screen)
        XCTAssertTrue(screen.contains("rectified (alpha 1.0)"), screen)
        XCTAssertTrue(screen.contains("chest of drawers"), "classes from the rectifier: \(screen)")
        // Only changed cells reach the terminal: an alpha step costs a small part of a repaint.
        let step = try tmux.bytesWritten { try tmux.press("-") }
        try tmux.waitFor("alpha 0.9")
        let repaint = try tmux.bytesWritten {
            try tmux.resize(width: 119, height: 36)
            usleep(300_000)
            try tmux.resize(width: 120, height: 36)
        }
        XCTAssertGreaterThan(step, 0)
        XCTAssertLessThan(step * 4, repaint, "alpha step wrote \(step) bytes, a repaint \(repaint)")
        try tmux.press("]", "]")
        try tmux.waitFor("alpha 1.1")
        try tmux.press("0")
        screen = try tmux.waitFor("rectified (alpha 0.0)")
        XCTAssertFalse(screen.contains("(+"), "no share changes at alpha 0: \(screen)")
        try tmux.press("p")
        try tmux.waitFor("alpha 1.0")
        try tmux.press("i")
        try tmux.waitFor("inspect cell")
        try tmux.press("Right")
        screen = try tmux.waitFor("raw    cls    spc   rect")
        try tmux.press("Escape", "2")
        try tmux.waitFor("class bias: cat")
        try tmux.press("c")
        try tmux.waitFor("class bias: potted plant")
        try tmux.press("3")
        try tmux.waitFor("of pixels")
        try tmux.press("s")
        try tmux.waitFor("saved ")
        let saved = folder.appendingPathComponent("JPEGImages/scene-1.difference.png").path
        XCTAssertTrue(FileManager.default.fileExists(atPath: saved), "no \(saved)")
        XCTAssertTrue(FileManager.default.fileExists(atPath: folder.appendingPathComponent("JPEGImages/scene-1.difference.ans").path))
        try tmux.press("j")
        try tmux.waitFor("scene-2.png  2/3")
        try tmux.waitFor("engine", seconds: 20)
        try tmux.press("q")
        try assertRestored(exit: 0)
    }

    func testResizeRedrawsAndTinyTerminalsGetAMessage() throws {
        try launch()
        try tmux.resize(width: 30, height: 10)
        try tmux.waitFor("terminal too small: 30x10")
        try tmux.resize(width: 90, height: 28)
        let screen = try tmux.waitFor("scene-1.png  1/3")
        XCTAssertFalse(screen.contains("too small"), screen)
        let rows = screen.split(separator: "\n", omittingEmptySubsequences: false)
        XCTAssertTrue(rows.first?.contains("reclip") ?? false, "title bar on the first row after resize: \(screen)")
        try tmux.resize(width: 200, height: 60)
        try tmux.waitFor("scene-1.png  1/3")
        try tmux.press("q")
        try assertRestored(exit: 0)
    }

    func testWithoutUTF8OneColourPerCell() throws {
        try tmux.type("LC_ALL=C LANG=C \(reclip) \(Self.dataset) --no-model; " + Self.reportModes)
        let screen = try tmux.waitFor("the first frame") { $0.contains("? help") && $0.contains("1/3") }
        XCTAssertFalse(screen.contains("\u{2580}"), "no half blocks without UTF-8: \(screen)")
        XCTAssertTrue(screen.contains("|"), "ASCII separators: \(screen)")
        let colours = try tmux.screen(escapes: true)
        XCTAssertTrue(colours.contains("48;5;"), "pictures as cell backgrounds")
        try tmux.press("q")
        try assertRestored(exit: 0)
    }

    func testSuspendAndResume() throws {
        // The status is read after `fg`: a job-control shell runs the rest of a command list
        // as soon as the job stops.
        try launch(report: false)
        try tmux.press("C-z")
        // Suspended: the shell has the terminal back, with its modes, off the alternate screen.
        try tmux.waitFor("main screen") { _ in (try? self.tmux.pane("alternate_on")) == "0" }
        try tmux.type("stty -a | tr ' ' '\\n' | grep -x -e icanon -e -icanon | tr '\\n' ' '; echo SUS\"\"PENDED")
        let suspended = try tmux.waitFor("SUSPENDED")
        XCTAssertTrue(suspended.contains("icanon SUSPENDED"), suspended)
        // One repaint for one `fg`: the SIGCONT that comes with it must not paint the screen again.
        let written = try tmux.output(settle: 1.5) { try tmux.type("fg") }
        let repaints = String(decoding: written, as: UTF8.self).components(separatedBy: "\u{1B}[H\u{1B}[J").count - 1
        XCTAssertEqual(repaints, 1, "full repaints after fg: \(repaints) in \(written.count) bytes")
        let back = try tmux.waitFor("explorer redrawn") { $0.contains("? help") && $0.contains("scene-1.png") }
        XCTAssertFalse(back.contains("SUSPENDED"), "the frame is repainted over the shell: \(back)")
        XCTAssertEqual(try tmux.pane("alternate_on"), "1")
        try tmux.press("j")
        try tmux.waitFor("scene-2.png  2/3")
        try tmux.press("q")
        try tmux.waitFor("the main screen") { _ in (try? self.tmux.pane("alternate_on")) == "0" }
        // The shell's prompt, not only the main screen: keys typed while the explorer is still
        // between leaving the alternate screen and restoring the modes would be flushed.
        try tmux.waitFor("the shell's prompt") { screen in
            screen.split(separator: "\n").last { !$0.trimmingCharacters(in: .whitespaces).isEmpty }?.trimmingCharacters(in: .whitespaces) == "$"
        }
        try tmux.type(Self.reportModes)
        try assertRestored(exit: 0)
    }

    /// SIGQUIT used to end the process with the terminal left in the alternate screen.
    func testQuitSignalRestoresTheTerminal() throws {
        try launch()
        let shell = try tmux.pane("pane_pid")
        let child = try childProcess(of: shell)
        XCTAssertEqual(kill(child, SIGQUIT), 0)
        try assertRestored(exit: 128 + SIGQUIT)
    }

    func testHangupRestoresTheTerminal() throws {
        try launch()
        let shell = try tmux.pane("pane_pid")
        let child = try childProcess(of: shell)
        XCTAssertEqual(kill(child, SIGHUP), 0)
        try assertRestored(exit: 128 + SIGHUP)
    }

    func testInterruptRestoresTheTerminal() throws {
        try launch()
        try tmux.press("C-c")
        try assertRestored(exit: 128 + SIGINT)
    }

    func testTerminateRestoresTheTerminal() throws {
        try launch()
        let child = try childProcess(of: try tmux.pane("pane_pid"))
        XCTAssertEqual(kill(child, SIGTERM), 0)
        try assertRestored(exit: 128 + SIGTERM)
    }

    /// A crash inside the explorer (here a fatal signal sent from outside, which takes the same
    /// path as a fault or a Swift trap) leaves the terminal as it was found: the guard restores
    /// it, then the signal goes on to Swift's backtracer, whose report is readable on the
    /// main screen, or to the default action.
    func testACrashRestoresTheTerminalAndTheBacktraceIsOnTheMainScreen() throws {
        let binary = reclip
        reclip = "SWIFT_BACKTRACE=interactive=no,color=no " + binary
        try launch()
        XCTAssertEqual(kill(try childProcess(of: try tmux.pane("pane_pid")), SIGSEGV), 0)
        try assertRestored(exit: 128 + SIGSEGV)
        let after = try tmux.screen()
        XCTAssertTrue(after.contains("Thread ") && after.contains("EXIT=139"), "the backtracer's report: \(after)")
        // An abort without the backtracer: the default action, the terminal restored first.
        try tmux.type("clear")
        reclip = "SWIFT_BACKTRACE=enable=no " + binary
        try launch()
        XCTAssertEqual(kill(try childProcess(of: try tmux.pane("pane_pid")), SIGABRT), 0)
        try assertRestored(exit: 128 + SIGABRT)
    }

    /// Quitting while the engine computes: the explorer cancels its jobs and leaves at once;
    /// a matrix product still running must not meet the exit-time destructors (quitting
    /// mid-computation crashed inside OpenBLAS in 2 of 8 such runs before). Five moments
    /// through the first image's work (model, classifier, forward pass), then `q` once.
    func testQuitWhileComputingExitsPromptlyAndCleanly() throws {
        let samples = URL(fileURLWithPath: Self.dataset).appendingPathComponent("../../../../samples/world").standardizedFileURL.path
        let command = "clear; SWIFT_BACKTRACE=interactive=no,color=no \(reclip) \(samples) --size 512; " + Self.reportModes
        for delay in [0.45, 0.6, 0.75, 0.9, 1.05] {
            try tmux.type(command)
            try tmux.waitFor("the explorer (\(delay) s)", seconds: 30) { $0.contains("? help") }
            usleep(useconds_t(delay * 1_000_000))
            let start = Date()
            XCTAssertEqual(kill(try childProcess(of: try tmux.pane("pane_pid")), SIGTERM), 0)
            try assertRestored(exit: 128 + SIGTERM)
            let screen = try tmux.screen()
            XCTAssertFalse(screen.contains("crashed"), "SIGTERM after \(delay) s: \(screen)")
            XCTAssertLessThan(Date().timeIntervalSince(start), 10, "SIGTERM after \(delay) s: the explorer should leave at once")
        }
        try tmux.type(command)
        try tmux.waitFor("the engine inside its forward pass", seconds: 60) { $0.contains("computing 60%") }
        try tmux.press("q")
        try assertRestored(exit: 0)
        XCTAssertFalse(try tmux.screen().contains("crashed"))
    }

    /// `T` on a small world folder: adapted in the background to completion, offered, `y`
    /// switches the engine to it and keeps it beside the folder; `b` then compares it with the
    /// bundled rectifier in the compare view.
    func testAdaptingToTheFolderAndSwitchingToTheResult() throws {
        let folder = NSTemporaryDirectory() + "reclip-adapt-e2e-\(UUID().uuidString)"
        defer { try? FileManager.default.removeItem(atPath: folder) }
        let world = try ReclipBinary.run(["world", "--seed", "5", "--count", "4", "--out", folder])
        XCTAssertEqual(world.status, 0, world.err)
        try tmux.type("\(reclip) \(folder); " + Self.reportModes)
        try tmux.waitFor("the first masks", seconds: 60) { $0.contains("engine") && $0.contains("1/4") }
        try tmux.press("T")
        try tmux.waitFor("adapting under way") { $0.contains("adapting") }
        try tmux.waitFor("the adapted rectifier offered", seconds: 120) { $0.contains("y uses it") }
        try tmux.press("y")
        try tmux.waitFor("the switch", seconds: 60) { $0.contains("using the adapted rectifier, saved as") }
        XCTAssertTrue(FileManager.default.fileExists(atPath: folder + "/rectifier-adapted.safetensors"))
        // b: the compare view shows the bundled rectifier's masks beside the adapted one's, each
        // with its mIoU (a terminal wide enough for whole captions), and b again raw against rectified.
        try tmux.resize(width: 200, height: 60)
        try tmux.press("b")
        let both = try tmux.waitFor("both rectifiers side by side", seconds: 60) {
            $0.contains("(bundled)  mIoU") && $0.contains("(adapted, 4 images)  mIoU")
        }
        XCTAssertFalse(both.contains("raw CLIP"), both)
        try tmux.press("b")
        try tmux.waitFor("raw against rectified again") { $0.contains("raw CLIP") && !$0.contains("(bundled)  mIoU") }
        // The protocol names the adapted rectifier and what it was adapted on.
        try tmux.press("P")
        let screen = try tmux.waitFor("the protocol of the adapted rectifier") { $0.contains("adapted_images 4") }
        XCTAssertTrue(screen.contains("initialised_from rectifier-"), screen)
        try tmux.press("Escape")
        try tmux.press("q")
        try assertRestored(exit: 0)
    }

    /// A terminal's reply that comes after the picture query's 150 ms wait (device attributes,
    /// kitty's graphics answer, a size report) is dropped, not read as keys: DA1's "4" and "c"
    /// would open the overlay view and move the focus class.
    func testLateTerminalRepliesAreNotReadAsKeys() throws {
        try launch()
        try tmux.waitFor("ground truth")
        let before = try tmux.screen()
        try tmux.run(["send-keys", "-t", tmux.session, "-l", "\u{1B}[?62;4;22c\u{1B}_Gi=31;OK\u{1B}\\\u{1B}[4;600;800t\u{1B}P1$r0m\u{1B}\\"])
        usleep(400_000)
        let after = try tmux.screen()
        XCTAssertEqual(after, before, "a late reply changed the screen")
        // Keys still work after it, and Escape alone is still a key (it closes the help).
        try tmux.press("?")
        try tmux.waitFor("reclip explorer - keys")
        try tmux.press("Escape")
        try tmux.waitFor("the help closed") { !$0.contains("reclip explorer - keys") }
        try tmux.press("4")
        try tmux.waitFor("mask over image")
        try tmux.press("q")
        try assertRestored(exit: 0)
    }

    func testNoTerminalGivesOneClearLine() throws {
        // Output to files, stdin the null device: not a terminal.
        let piped = try ReclipBinary.run([Self.dataset], environment: ["TERM": "xterm-256color"])
        XCTAssertNotEqual(piped.status, 0)
        XCTAssertTrue(piped.err.contains("not a tty"), piped.err)
        XCTAssertTrue(piped.err.contains("reclip render"), piped.err)
        XCTAssertEqual(piped.err.split(separator: "\n").count, 1, "one line: \(piped.err)")
        // A terminal is needed for the TERM check to be reached: give stdin/stdout a pty.
        try tmux.type("TERM=dumb \(reclip) \(Self.dataset) 2>&1 | cat; TERM=dumb script -qc '\(reclip) \(Self.dataset)' /dev/null; echo DO\"\"NE")
        let screen = try tmux.waitFor("DONE")
        XCTAssertTrue(screen.contains("stdin and stdout are not a tty"), screen)
        XCTAssertTrue(screen.contains("TERM=dumb cannot draw the explorer"), screen)
        XCTAssertTrue(screen.contains("reclip render"), screen)
    }

    /// The pid of the one process whose parent is `shell`.
    func childProcess(of shell: String) throws -> pid_t {
        let deadline = Date().addingTimeInterval(3)
        while Date() < deadline {
            let entries = (try? FileManager.default.contentsOfDirectory(atPath: "/proc")) ?? []
            for entry in entries {
                guard let pid = Int32(entry),
                      let stat = try? String(contentsOfFile: "/proc/\(entry)/stat", encoding: .utf8),
                      let close = stat.lastIndex(of: ")") else { continue }
                let fields = stat[stat.index(after: close)...].split(separator: " ")
                if fields.count > 1, String(fields[1]) == shell, stat.contains("(reclip)") { return pid }
            }
            usleep(50_000)
        }
        throw TmuxError("no reclip process under shell \(shell)")
    }
}
