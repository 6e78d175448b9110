import XCTest
import TestSupport
import CLIP
import Datasets
import ReCLIP
@testable import TUI

/// Every key binding, through the pure update function.
final class ExplorerKeyTests: XCTestCase {
    func testQuitKeys() {
        XCTAssertTrue(Fixture.state().typing("q").quitting)
        XCTAssertTrue(Fixture.state().typing("Q").quitting)
        XCTAssertFalse(Fixture.state().typing("j").quitting)
    }

    func testHelpOpensAndAnyKeyCloses() {
        let open = Fixture.state().typing("?")
        XCTAssertTrue(open.showHelp)
        XCTAssertFalse(open.typing("?").showHelp)
        XCTAssertFalse(open.pressing(.escape).showHelp)
        let closedByJ = open.typing("j")
        XCTAssertFalse(closedByJ.showHelp)
        XCTAssertEqual(closedByJ.selected, 1, "a key other than ? and Esc closes help and still acts")
    }

    func testNextAndPreviousImageClampAtTheEnds() {
        let s = Fixture.state(images: 3)
        XCTAssertEqual(s.typing("j").selected, 1)
        XCTAssertEqual(s.pressing(.down).selected, 1)
        XCTAssertEqual(s.pressing(.right).selected, 1)
        XCTAssertEqual(s.typing("jjjj").selected, 2)
        XCTAssertEqual(s.typing("jjk").selected, 1)
        XCTAssertEqual(s.typing("jj").pressing(.up).selected, 1)
        XCTAssertEqual(s.typing("jj").pressing(.left).selected, 1)
        XCTAssertEqual(s.typing("k").selected, 0)
        XCTAssertEqual(s.typing("G").selected, 2)
        XCTAssertEqual(s.pressing(.end).selected, 2)
        XCTAssertEqual(s.typing("Gg").selected, 0)
        XCTAssertEqual(s.typing("G").pressing(.home).selected, 0)
    }

    func testSelectingAnImageAsksToLoadItAndTheNext() {
        let (next, effects) = Fixture.state(images: 4).applying(.key(.character("j")))
        XCTAssertEqual(effects, [.loadImage(1), .loadImage(2)])
        XCTAssertEqual(next.loading, [1, 2])
        // Asked once only: pressing again on the loading image asks nothing new for it.
        let (_, again) = next.applying(.key(.character("k")))
        XCTAssertEqual(again, [])
    }

    func testLoadedImageIsSegmentedWhenAModelIsLoaded() {
        let s = Fixture.state(images: 2).typing("j")
        let (next, effects) = s.applying(.imageLoaded(index: 1, picture: Fixture.picture, groundTruth: nil))
        XCTAssertEqual(effects, [.segment(1)])
        XCTAssertTrue(next.isComputing)
        let (_, noModel) = Fixture.state(images: 2, model: nil).typing("j")
            .applying(.imageLoaded(index: 1, picture: Fixture.picture, groundTruth: nil))
        XCTAssertEqual(noModel, [], "without a model nothing is segmented")
    }

    func testMovingOnCancelsStaleWork() {
        var s = Fixture.state(images: 3)
        s.pictures[1] = Fixture.picture
        let (computing, effects) = s.applying(.key(.character("j")))
        XCTAssertTrue(effects.contains(.segment(1)))
        let (moved, cancel) = computing.applying(.key(.character("j")))
        XCTAssertEqual(cancel.first, .cancelSegmentation(1))
        XCTAssertNil(moved.segmentations[1], "a cancelled image is asked again when revisited")
        let (_, back) = moved.applying(.key(.character("k")))
        XCTAssertTrue(back.contains(.segment(1)))
    }

    func testResultsForAnOldClassListAreIgnored() {
        var s = Fixture.state(images: 2)
        s.segmentations[1] = .computing(progress: 0.5)
        let stale = s.applying(.segmented(index: 1, classes: ["other"], maps: Fixture.maps, seconds: 1)).0
        if case .computing? = stale.segmentations[1] {} else { XCTFail("stale result replaced the pending one") }
        let fresh = s.applying(.segmented(index: 1, classes: Fixture.classes, maps: Fixture.maps, seconds: 1)).0
        if case .done? = fresh.segmentations[1] {} else { XCTFail("fresh result not recorded") }
    }

    func testViewsByTabShiftTabAndNumbers() {
        let s = Fixture.state()
        XCTAssertEqual(s.view, .compare)
        XCTAssertEqual(s.pressing(.tab).view, .bias)
        // Five views (the dataset view is the fifth): Tab wraps after it, Shift-Tab reaches it first.
        XCTAssertEqual(s.pressing(.tab, .tab, .tab, .tab, .tab).view, .compare)
        XCTAssertEqual(s.pressing(.backTab).view, .dataset)
        XCTAssertEqual(s.pressing(.backTab, .backTab).view, .overlay)
        XCTAssertEqual(s.typing("2").view, .bias)
        XCTAssertEqual(s.typing("3").view, .difference)
        XCTAssertEqual(s.typing("4").view, .overlay)
        XCTAssertEqual(s.typing("41").view, .compare)
    }

    func testAlphaStepsRawAndPaperValue() {
        let s = Fixture.state()
        XCTAssertEqual(s.alpha, 1)
        XCTAssertEqual(s.typing("+").alpha, 1.1, accuracy: 1e-6)
        XCTAssertEqual(s.typing("=").alpha, 1.1, accuracy: 1e-6)
        XCTAssertEqual(s.typing("]").alpha, 1.1, accuracy: 1e-6)
        XCTAssertEqual(s.typing("-").alpha, 0.9, accuracy: 1e-6)
        XCTAssertEqual(s.typing("[").alpha, 0.9, accuracy: 1e-6)
        XCTAssertEqual(s.typing("_").alpha, 0.9, accuracy: 1e-6)
        XCTAssertEqual(s.typing("0").alpha, 0)
        XCTAssertEqual(s.typing("0p").alpha, 1)
        XCTAssertEqual(s.typing("0---").alpha, 0, "alpha stops at 0")
        XCTAssertEqual(s.typing(String(repeating: "+", count: 40)).alpha, 3, accuracy: 1e-6, "alpha stops at 3")
        // Ten steps up and ten down land exactly where they started (no drift).
        XCTAssertEqual(s.typing("++++++++++----------").alpha, 1, accuracy: 1e-6)
    }

    func testAlphaIsDisabledWithoutModelOrRectifier() {
        let noModel = Fixture.state(model: nil).typing("+")
        XCTAssertEqual(noModel.alpha, 1)
        XCTAssertTrue(noModel.message?.contains("no model loaded") ?? false)
        let untrained = Fixture.state(maps: Fixture.rawOnlyMaps).typing("-")
        XCTAssertEqual(untrained.alpha, 1)
        XCTAssertEqual(untrained.message, ExplorerState.noBiasHint)
        XCTAssertFalse(untrained.alphaIsActive)
    }

    func testOverlayModeAndOpacity() {
        let s = Fixture.state()
        XCTAssertEqual(s.typing("o").view, .overlay, "o first switches to the overlay view")
        XCTAssertEqual(s.typing("o").overlay, .mask)
        XCTAssertEqual(s.typing("oo").overlay, .groundTruth)
        XCTAssertEqual(s.typing("ooo").overlay, .image)
        XCTAssertEqual(s.typing("oooo").overlay, .mask)
        XCTAssertEqual(s.typing(">").opacity, 0.6, accuracy: 1e-9)
        XCTAssertEqual(s.typing(".").opacity, 0.6, accuracy: 1e-9)
        XCTAssertEqual(s.typing("<").opacity, 0.4, accuracy: 1e-9)
        XCTAssertEqual(s.typing(",").opacity, 0.4, accuracy: 1e-9)
        XCTAssertEqual(s.typing("<<<<<<<<").opacity, 0)
        XCTAssertEqual(s.typing(">>>>>>>>").opacity, 1)
    }

    func testClassFocusWraps() {
        let s = Fixture.state()
        XCTAssertEqual(s.typing("c").focusClass, 1)
        XCTAssertEqual(s.typing("ccc").focusClass, 0)
        XCTAssertEqual(s.typing("C").focusClass, 2)
    }

    func testInspectCursorMovesWithArrowsAndStaysInside() {
        let s = Fixture.state().typing("i")
        XCTAssertTrue(s.inspecting)
        XCTAssertEqual(s.selected, 0)
        let picture = s.layout.panels[0].picture
        let right = s.pressing(.right)
        XCTAssertEqual(right.selected, 0, "arrows move the cursor, not the image, while inspecting")
        XCTAssertGreaterThan(right.cursor.u, s.cursor.u)
        XCTAssertEqual(right.cursor.u - s.cursor.u, 1 / Double(picture.width), accuracy: 0.51 / Double(picture.width))
        XCTAssertLessThan(s.pressing(.up).cursor.v, s.cursor.v)
        XCTAssertGreaterThan(s.pressing(.down).cursor.v, s.cursor.v)
        XCTAssertLessThan(s.pressing(.left).cursor.u, s.cursor.u)
        let far = (0..<300).reduce(s) { st, _ in st.pressing(.right, .down) }
        XCTAssertLessThan(far.cursor.u, 1)
        XCTAssertLessThan(far.cursor.v, 1)
        XCTAssertFalse(s.typing("i").inspecting)
        XCTAssertFalse(s.pressing(.escape).inspecting)
        XCTAssertEqual(s.typing("j").selected, 1, "j still changes image while inspecting")
    }

    func testSaveNeedsAPicture() {
        let (_, effects) = Fixture.state().applying(.key(.character("s")))
        XCTAssertEqual(effects, [.save])
        var empty = Fixture.state()
        empty.pictures = [:]
        let (after, none) = empty.applying(.key(.character("s")))
        XCTAssertEqual(none, [])
        XCTAssertTrue(after.message?.contains("nothing to save") ?? false)
        let saved = Fixture.state().applying(.saved(paths: ["/tmp/a.png", "/tmp/a.ans"])).0
        XCTAssertEqual(saved.message, "saved /tmp/a.png and /tmp/a.ans")
    }

    func testMessageClearsOnTheNextKey() {
        let s = Fixture.state(model: nil).typing("+")
        XCTAssertNotNil(s.message)
        XCTAssertNil(s.typing("c").message)
    }

    func testResizeAndTick() {
        let s = Fixture.state().applying(.resize(width: 50, height: 14)).0
        XCTAssertEqual(s.width, 50)
        XCTAssertEqual(s.height, 14)
        var computing = Fixture.state()
        computing.segmentations[0] = .computing(progress: 0.1)
        XCTAssertEqual(computing.applying(.tick).0.spinnerPhase, 1)
        XCTAssertEqual(Fixture.state().applying(.tick).0.spinnerPhase, 0, "the spinner rests when nothing runs")
    }

    func testMouseClicksOnListLegendAndPicture() {
        let s = Fixture.state(images: 3, width: 120, height: 40)
        let layout = s.layout
        // The list's first entry row is just below its header.
        let onThird = s.applying(.click(x: layout.list.x + 2, y: layout.list.y + 3)).0
        XCTAssertEqual(onThird.selected, 2)
        let onClass = s.applying(.click(x: layout.legend.x + 5, y: layout.legend.y + 3)).0
        XCTAssertEqual(onClass.focusClass, 2)
        XCTAssertEqual(onClass.hiddenClasses, [2], "a click on a class hides it")
        let picture = layout.panels[0].picture
        let onPicture = s.applying(.click(x: picture.x, y: picture.y)).0
        XCTAssertTrue(onPicture.inspecting)
        XCTAssertLessThan(onPicture.cursor.u, 0.5 / Double(picture.width) + 1e-9)
        let nowhere = s.applying(.click(x: 0, y: 0)).0
        XCTAssertEqual(nowhere.selected, 0)
        XCTAssertFalse(nowhere.inspecting)
    }
}

/// `h` cycles the dense head: the engine is asked again with it, results for another head are
/// dropped, the status line, the raw caption and the protocol panel name it.
final class ExplorerHeadKeyTests: XCTestCase {
    func testHCyclesTheHeadsAndAsksTheEngineAgain() {
        let s = Fixture.state()
        XCTAssertEqual(s.head, .maskclip)
        XCTAssertTrue(ExplorerFrame(state: s).statusText.contains("head MaskCLIP"))
        let (next, effects) = s.applying(.key(.character("h")))
        XCTAssertEqual(next.head, .sclip)
        XCTAssertTrue(effects.contains(.segment(0)), "\(effects)")
        XCTAssertNil(next.currentMaps, "MaskCLIP's maps are not shown as SCLIP's")
        XCTAssertTrue(next.message?.contains("head SCLIP, templates OpenAI's 80 ImageNet") == true, next.message ?? "")
        XCTAssertTrue(next.message?.contains("applied as is") == true, "the rectifier was trained on MaskCLIP")
        // A result for the old head that arrives late is dropped; one for the new head is shown.
        let late = next.applying(.segmented(index: 0, classes: Fixture.classes, maps: Fixture.maps, seconds: 0.1, readout: Readout(head: .maskclip))).0
        XCTAssertNil(late.currentMaps)
        let done = next.applying(.segmented(index: 0, classes: Fixture.classes, maps: Fixture.maps, seconds: 0.1, readout: Readout(head: .sclip))).0
        XCTAssertNotNil(done.currentMaps)
        let frame = ExplorerFrame(state: done)
        XCTAssertTrue(frame.statusText.contains("head SCLIP"), frame.statusText)
        XCTAssertTrue(frame.grid.text.contains("raw SCLIP"), frame.grid.text)
        XCTAssertTrue(frame.protocolLines.contains { $0.hasPrefix("head") && $0.contains("SCLIP (q-q + k-k") }, "\(frame.protocolLines)")
        XCTAssertTrue(frame.protocolLines.contains { $0.hasPrefix("templates") && $0.contains("OpenAI's 80") })
        // Four presses come back to MaskCLIP; every head is visited once.
        var seen: [DenseHead] = []
        var t = s
        for _ in 0..<4 { t = t.typing("h"); seen.append(t.head) }
        XCTAssertEqual(seen, [.sclip, .clearclip, .naclip, .maskclip])
        // Dataset scores for another head are dropped as well.
        var d = next
        d.datasetAlpha = 1
        let scores = ImageScores.measure(Fixture.maps, alpha: 1, truth: nil, width: 8, height: 1)
        XCTAssertNil(d.applying(.datasetScored(index: 0, alpha: 1, classes: Fixture.classes, scores: scores, readout: Readout(head: .maskclip))).0.datasetScores[0])
        XCTAssertNotNil(d.applying(.datasetScored(index: 0, alpha: 1, classes: Fixture.classes, scores: scores, readout: Readout(head: .sclip))).0.datasetScores[0])
    }

    func testWithoutAModelHExplains() {
        let s = Fixture.state(model: nil, maps: nil).typing("h")
        XCTAssertEqual(s.head, .maskclip)
        XCTAssertTrue(s.message?.contains("heads need a model") == true)
    }
}

/// `r` turns PAMR refinement on and off: the engine is asked again, results read out the
/// other way are dropped, the status line and the protocol panel say which.
final class ExplorerRefinementKeyTests: XCTestCase {
    func testRTogglesPAMRAndAsksTheEngineAgain() {
        let s = Fixture.state()
        XCTAssertFalse(s.readout.isRefined)
        XCTAssertFalse(ExplorerFrame(state: s).statusText.contains("PAMR"))
        XCTAssertTrue(ExplorerFrame(state: s).protocolLines.contains { $0.hasPrefix("refinement") && $0.contains("none") })
        let (refined, effects) = s.applying(.key(.character("r")))
        XCTAssertEqual(refined.readout, Readout(head: .maskclip, pamrSteps: Readout.refinedSteps))
        XCTAssertEqual(refined.head, .maskclip, "the head stays")
        XCTAssertTrue(effects.contains(.segment(0)), "\(effects)")
        XCTAssertNil(refined.currentMaps, "maps on the patch grid are not shown as refined ones")
        XCTAssertTrue(refined.message?.contains("PAMR 10 steps") == true, refined.message ?? "")
        // A late result of the unrefined readout is dropped; a refined one is shown.
        let late = refined.applying(.segmented(index: 0, classes: Fixture.classes, maps: Fixture.maps, seconds: 0.1, readout: Readout())).0
        XCTAssertNil(late.currentMaps)
        let done = refined.applying(.segmented(index: 0, classes: Fixture.classes, maps: Fixture.maps, seconds: 0.1,
                                               readout: refined.readout)).0
        XCTAssertNotNil(done.currentMaps)
        let frame = ExplorerFrame(state: done)
        XCTAssertTrue(frame.statusText.contains("head MaskCLIP, PAMR 10"), frame.statusText)
        XCTAssertTrue(frame.protocolLines.contains { $0.hasPrefix("refinement") && $0.contains("PAMR 10 steps, dilations 8 and 16, every map at the image's size up to 512 x 512 pixels") },
                      "\(frame.protocolLines)")
        // Dataset scores of the other readout are dropped too.
        var d = refined
        d.datasetAlpha = 1
        let scores = ImageScores.measure(Fixture.maps, alpha: 1, truth: nil, width: 8, height: 1)
        XCTAssertNil(d.applying(.datasetScored(index: 0, alpha: 1, classes: Fixture.classes, scores: scores, readout: Readout())).0.datasetScores[0])
        XCTAssertNotNil(d.applying(.datasetScored(index: 0, alpha: 1, classes: Fixture.classes, scores: scores,
                                                  readout: refined.readout)).0.datasetScores[0])
        // With another head, `r` keeps it; `r` again turns refinement off and asks again.
        let sclip = refined.typing("h")
        XCTAssertEqual(sclip.readout, Readout(head: .sclip, pamrSteps: Readout.refinedSteps))
        let (off, again) = sclip.applying(.key(.character("r")))
        XCTAssertEqual(off.readout, Readout(head: .sclip, pamrSteps: 0))
        XCTAssertTrue(again.contains(.segment(0)), "\(again)")
        XCTAssertTrue(off.message?.contains("PAMR off") == true, off.message ?? "")
    }

    func testReadoutKeysKeepTheUnrefinedOnesAndTellTheRefinedApart() {
        XCTAssertEqual(Readout(head: .sclip).cacheKey, "sclip", "unrefined keys are the head's name, as before")
        XCTAssertEqual(Readout(head: .maskclip, pamrSteps: 10).cacheKey, "maskclip+pamr10")
        XCTAssertNotEqual(Readout(head: .maskclip, pamrSteps: 10).cacheKey, Readout(head: .maskclip, pamrSteps: 5).cacheKey)
        XCTAssertEqual(Readout(pamrSteps: 10).inferenceOptions, InferenceOptions(pamrSteps: 10, pamrMaxPixels: 512 * 512))
        XCTAssertTrue(Readout(pamrSteps: 10).inferenceOptions.refinementSize(width: 500, height: 375) == (500, 375),
                      "VOC-sized images are refined as reclip eval --pamr refines them")
        XCTAssertTrue(Readout().inferenceOptions.isPlain)
    }

    /// The held-out figures follow the readout: the refined ones while PAMR is on, or the plain
    /// ones marked as without it when none were measured.
    func testTheStatusLinesFiguresFollowTheRefinement() {
        func model(refined: String?) -> ModelInfo {
            ModelInfo(name: "m", variant: "ReCLIP", hasRectifier: true, figures: "held-out mIoU raw 38%",
                      refinedFigures: refined)
        }
        let plain = Fixture.state(model: model(refined: "held-out mIoU with PAMR 10 raw 45%"))
        XCTAssertTrue(ExplorerFrame(state: plain).statusText.hasSuffix("held-out mIoU raw 38%"), ExplorerFrame(state: plain).statusText)
        let refined = plain.typing("r")
        XCTAssertTrue(ExplorerFrame(state: refined).statusText.hasSuffix("held-out mIoU with PAMR 10 raw 45%"),
                      ExplorerFrame(state: refined).statusText)
        let unmeasured = Fixture.state(model: model(refined: nil)).typing("r")
        XCTAssertTrue(ExplorerFrame(state: unmeasured).statusText.hasSuffix("held-out mIoU raw 38% (without PAMR)"),
                      ExplorerFrame(state: unmeasured).statusText)
    }

    /// Pictures far from the selection are let go, and their finished maps with them (refined
    /// maps are as large as the image); maps still being computed, and those of the kept
    /// pictures, stay.
    func testFarPicturesTakeTheirMapsWithThem() {
        let n = ExplorerState.pictureCacheSize + 3
        var s = Fixture.state(images: n)
        for i in 0..<n {
            s.pictures[i] = Fixture.picture
            s.segmentations[i] = i == n - 1 ? .computing(progress: 0.5) : .done(Fixture.maps, seconds: 0)
        }
        s.selected = 0
        s.evictDistantPictures()
        XCTAssertEqual(s.pictures.count, ExplorerState.pictureCacheSize)
        for i in 0..<n {
            if s.pictures[i] != nil {
                XCTAssertNotNil(s.segmentations[i], "image \(i) is kept with its maps")
            } else if i == n - 1 {
                guard case .computing? = s.segmentations[i] else { return XCTFail("work under way is left to finish") }
            } else {
                XCTAssertNil(s.segmentations[i], "image \(i) went, and its maps")
            }
        }
    }

    func testWithoutAModelRExplains() {
        let s = Fixture.state(model: nil, maps: nil).typing("r")
        XCTAssertFalse(s.readout.isRefined)
        XCTAssertTrue(s.message?.contains("refinement needs a model") == true, s.message ?? "")
    }
}

/// `T` adapts the rectifier to the folder in the background; the result is offered, `y` uses
/// (and saves) it, `n` keeps the current one; `T` again cancels a run.
final class ExplorerAdaptKeyTests: XCTestCase {
    func testTAdaptsThenOffersTheResultAndYSwitches() {
        let s = Fixture.state()
        let (running, effects) = s.applying(.key(.character("T")))
        XCTAssertEqual(effects, [.adapt])
        XCTAssertEqual(running.adaptation, .running(phase: "starting", progress: 0))
        let moving = running.applying(.adaptationProgress(phase: "step 40/100", fraction: 0.7)).0
        XCTAssertTrue(ExplorerFrame(state: moving).statusText.contains("adapting 70% (step 40/100), T cancels"),
                      ExplorerFrame(state: moving).statusText)
        // Nothing blocks meanwhile: alpha and views still move.
        XCTAssertEqual(moving.typing("+").alpha, 1.1, accuracy: 1e-6)
        let file = URL(fileURLWithPath: "/tmp/adapted.safetensors")
        let offered = moving.applying(.adapted(file: file, summary: "adapted to 3 images")).0
        XCTAssertEqual(offered.adaptation, .ready(file: file, summary: "adapted to 3 images"))
        XCTAssertTrue(ExplorerFrame(state: offered).statusText.contains("y uses it"))
        let (using, useEffects) = offered.applying(.key(.character("y")))
        XCTAssertEqual(useEffects, [.useAdapted(file: file)])
        XCTAssertNil(using.adaptation)
        // The engine switched: the masks are asked for again, with the new model named.
        let info = ModelInfo(name: "test-model", variant: "ReCLIP, adapted", hasRectifier: true)
        let (switched, again) = using.applying(.rectifierSwitched(model: info, savedAt: "/images/rectifier-adapted.safetensors", problem: nil))
        XCTAssertEqual(switched.model, info)
        XCTAssertNil(switched.currentMaps)
        XCTAssertTrue(again.contains(.segment(0)), "\(again)")
        XCTAssertTrue(switched.message?.contains("saved as /images/rectifier-adapted.safetensors") == true)
        XCTAssertTrue(ExplorerFrame(state: switched).statusText.contains("(ReCLIP, adapted)"))
    }

    func testNKeepsTheCurrentRectifierAndTCancels() {
        let offered = Fixture.state().typing("T").applying(.adapted(file: URL(fileURLWithPath: "/tmp/a.safetensors"), summary: "done")).0
        let kept = offered.typing("n")
        XCTAssertNil(kept.adaptation)
        XCTAssertEqual(kept.model, Fixture.model)
        let (cancelled, effects) = Fixture.state().typing("T").applying(.key(.character("T")))
        XCTAssertEqual(effects, [.cancelAdaptation])
        XCTAssertNil(cancelled.adaptation)
        // A result that arrives after the cancel is not offered.
        XCTAssertNil(cancelled.applying(.adapted(file: URL(fileURLWithPath: "/tmp/a.safetensors"), summary: "late")).0.adaptation)
        // y and n do nothing without an offer.
        XCTAssertEqual(Fixture.state().applying(.key(.character("y"))).1, [])
    }

    func testWithoutARectifierTExplains() {
        let raw = Fixture.state(model: ModelInfo(name: "m", variant: "MaskCLIP only", hasRectifier: false)).applying(.key(.character("T")))
        XCTAssertEqual(raw.1, [])
        XCTAssertTrue(raw.0.message?.contains("needs a trained rectifier") == true)
        let failed = Fixture.state().typing("T").applying(.adaptationFailed(problem: "disk full")).0
        XCTAssertNil(failed.adaptation)
        XCTAssertEqual(failed.message, "adapting failed: disk full")
    }

    func testTheAdaptedRectifierIsKeptBesideTheDatasetAndNeverOverAFile() throws {
        let root = try scratchFolder("reclip-adapt", create: false)
        let images = root.appendingPathComponent("JPEGImages")
        try FileManager.default.createDirectory(at: images, withIntermediateDirectories: true)
        let entries = [ImageEntry(url: images.appendingPathComponent("a.png"))]
        XCTAssertEqual(Explorer.adaptedRectifierDestination(for: entries).path, root.appendingPathComponent("rectifier-adapted.safetensors").path)
        try Data([1]).write(to: root.appendingPathComponent("rectifier-adapted.safetensors"))
        XCTAssertEqual(Explorer.adaptedRectifierDestination(for: entries).lastPathComponent, "rectifier-adapted-2.safetensors")
    }
}

/// A click on a legend entry hides the class (and focuses it), a second shows it, in both legend forms;
/// a class with only its class bias carries a mark.
final class ExplorerLegendClickTests: XCTestCase {
    func testClickHidesThenShowsAgainInTheColumnLegend() {
        let s = Fixture.state(width: 120, height: 40)
        let layout = s.layout
        XCTAssertTrue(layout.legendIsColumn)
        // "cat" is the second entry row, two rows below the header.
        let at = (x: layout.legend.x + 6, y: layout.legend.y + 2)
        let hidden = s.applying(.click(x: at.x, y: at.y)).0
        XCTAssertEqual(hidden.focusClass, 1)
        XCTAssertEqual(hidden.hiddenClasses, [1])
        XCTAssertTrue(ExplorerFrame(state: hidden).grid.text.contains("cat (hidden)"))
        XCTAssertFalse(hidden.currentMaps!.labels(alpha: 1, width: 8, height: 1, hidden: hidden.hiddenClasses).contains(1))
        let shown = hidden.applying(.click(x: at.x, y: at.y)).0
        XCTAssertEqual(shown.hiddenClasses, [])
        // The header row is not an entry.
        XCTAssertEqual(s.applying(.click(x: at.x, y: layout.legend.y)).0.focusClass, 0)
    }

    func testClickLandsOnTheEntryDrawnThereWhenTheLegendIsRows() throws {
        let s = Fixture.state(width: 70, height: 30)
        let layout = s.layout
        XCTAssertFalse(layout.legendIsColumn)
        let grid = ExplorerFrame(state: s).grid
        // Find "grass" on screen and click its first letter: the entry under it is class 2.
        let rows = (layout.legend.y..<(layout.legend.y + layout.legend.height))
        let hit = try XCTUnwrap(rows.lazy.compactMap { y -> (Int, Int)? in
            let line = grid.text(row: y)
            guard let r = line.range(of: "grass") else { return nil }
            return (line.distance(from: line.startIndex, to: r.lowerBound), y)
        }.first, grid.text)
        let hidden = s.applying(.click(x: hit.0, y: hit.1)).0
        XCTAssertEqual(hidden.focusClass, 2)
        XCTAssertEqual(hidden.hiddenClasses, [2])
        XCTAssertEqual(hidden.applying(.click(x: hit.0, y: hit.1)).0.hiddenClasses, [])
        // Past the last entry on its row nothing is hit.
        XCTAssertEqual(s.applying(.click(x: layout.legend.x + layout.legend.width - 1, y: hit.1)).0.focusClass, 0)
    }

    func testLegendEntriesNeverOverlapAndStayInsideTheLegend() {
        let legend = Rect(x: 3, y: 10, width: 31, height: 2)
        let labels = (0..<12).map { " class\($0) \(String(repeating: "x", count: $0 % 5)) " }
        let entries = ExplorerLayout.legendRowEntries(labels: labels, in: legend)
        XCTAssertFalse(entries.isEmpty)
        XCTAssertLessThan(entries.count, labels.count, "two rows cannot hold twelve entries")
        for (i, e) in entries.enumerated() {
            XCTAssertEqual(e.index, i)
            XCTAssertTrue(e.x >= legend.x && e.x + e.width <= legend.x + legend.width, "\(e)")
            XCTAssertTrue(e.y >= legend.y && e.y < legend.y + legend.height, "\(e)")
            if i > 0, entries[i - 1].y == e.y { XCTAssertGreaterThanOrEqual(e.x, entries[i - 1].x + entries[i - 1].width) }
        }
    }

    func testAClassWithClassBiasOnlyIsMarkedInTheLegend() {
        var maps = Fixture.maps
        maps.classesWithoutSpaceBias = ["grass"]
        let text = ExplorerFrame(state: Fixture.state(maps: maps, width: 120, height: 40)).grid.text
        XCTAssertTrue(text.contains("~grass"), text)
        XCTAssertFalse(text.contains("~cat"), text)
        XCTAssertTrue(text.contains("classes (~ class bias)"), text)
        let plain = ExplorerFrame(state: Fixture.state(width: 120, height: 40)).grid.text
        XCTAssertFalse(plain.contains("~grass"), plain)
        XCTAssertTrue(plain.contains("classes (c: focus)"), plain)
        // Without a bias nothing is rectified and nothing is marked.
        var raw = Fixture.rawOnlyMaps
        raw.classesWithoutSpaceBias = ["grass"]
        XCTAssertFalse(ExplorerFrame(state: Fixture.state(maps: raw, width: 120, height: 40)).grid.text.contains("~grass"))
    }
}

/// Space leaves the focus class out of the masks; P shows the protocol.
final class ExplorerInstrumentKeyTests: XCTestCase {
    func testSpaceHidesTheFocusClassFromTheMasks() {
        let s = Fixture.state()
        // At alpha 1 the second quarter is cat; hiding cat gives it back to the next best class.
        let hidden = s.typing("c ")
        XCTAssertEqual(hidden.focusClass, 1)
        XCTAssertEqual(hidden.hiddenClasses, [1])
        let text = ExplorerFrame(state: hidden).grid.text
        XCTAssertTrue(text.contains("cat (hidden)"), text)
        XCTAssertFalse(text.contains("cat 25%"), text)
        let maps = Fixture.maps
        let labels = maps.labels(alpha: 1, width: 8, height: 1, hidden: [1])
        XCTAssertFalse(labels.contains(1))
        XCTAssertTrue(maps.labels(alpha: 1, width: 8, height: 1).contains(1))
        // Space again brings it back; the last visible class cannot be hidden.
        XCTAssertEqual(hidden.typing(" ").hiddenClasses, [])
        var all = s
        all.hiddenClasses = Set(1..<s.classes.count)
        let refused = all.typing(" ")
        XCTAssertEqual(refused.hiddenClasses.count, s.classes.count - 1)
        XCTAssertTrue(refused.message?.contains("at least one class") ?? false)
    }

    func testProtocolPanelShowsTheSettingsAndAnyKeyClosesIt() {
        let model = ModelInfo(name: "m", variant: "ReCLIP", hasRectifier: true,
                              protocolRows: [("weights", "/w.safetensors"), ("sha-256", "abc123")])
        let s = Fixture.state(model: model).typing("P")
        XCTAssertTrue(s.showProtocol)
        let text = ExplorerFrame(state: s).grid.text
        for part in ["protocol", "/w.safetensors", "abc123", "alpha", "1.0"] { XCTAssertTrue(text.contains(part), "\(part): \(text)") }
        XCTAssertFalse(s.typing("x").showProtocol)
    }
}
