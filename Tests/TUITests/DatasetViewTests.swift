import XCTest
import Render
@testable import TUI
import CLIP
import ReCLIP

/// View 5: scores per image, their sums, the orderings, the keys and the sweep's effects.
final class DatasetViewTests: XCTestCase {
    /// The fixture maps against the fixture truth: raw is exact (mIoU 1); at alpha 1 the second
    /// quarter turns to cat (sky 1/2, cat 0, grass 1: mIoU 1/2).
    func testImageScoresAgreeWithTheConfusionMatrix() {
        let s = ImageScores.measure(Fixture.maps, alpha: 1, truth: Fixture.truth, width: 40, height: 20)
        XCTAssertEqual(s.raw?.meanIoU ?? .nan, 1, accuracy: 1e-12)
        XCTAssertEqual(s.rectified?.meanIoU ?? .nan, 0.5, accuracy: 1e-12)
        XCTAssertEqual(s.meanIoUChange ?? .nan, -0.5, accuracy: 1e-12)
        XCTAssertEqual(s.changed, 0.25, accuracy: 1e-12)
        XCTAssertEqual(s.rawShares, [0.5, 0, 0.5])
        XCTAssertEqual(s.rectifiedShares, [0.25, 0.25, 0.5])
        let none = ImageScores.measure(Fixture.maps, alpha: 1, truth: nil, width: 40, height: 20)
        XCTAssertNil(none.raw)
        XCTAssertNil(none.meanIoUChange)
    }

    /// The curves: one confusion matrix and one set of shares per alpha 0, 0.1, ..., 2; the
    /// ends and the view's own alpha agree with the raw and rectified scores, any other alpha
    /// with a fresh measurement there, and the dataset curve is the mIoU of the summed matrices.
    func testCurvesOverAlpha() {
        let s = ImageScores.measure(Fixture.maps, alpha: 1, truth: Fixture.truth, width: 40, height: 20)
        XCTAssertEqual(AlphaCurve.alphas.count, 21)
        let curve = try! XCTUnwrap(s.meanIoUCurve)
        XCTAssertEqual(curve.count, 21)
        XCTAssertEqual(curve[0], 1, accuracy: 1e-12)
        XCTAssertEqual(curve[10], 0.5, accuracy: 1e-12)
        XCTAssertEqual(s.shareCurve[0], s.rawShares)
        XCTAssertEqual(s.shareCurve[10], s.rectifiedShares)
        for index in [3, 13, 20] {
            let fresh = ImageScores.measure(Fixture.maps, alpha: AlphaCurve.alphas[index], truth: Fixture.truth, width: 40, height: 20)
            XCTAssertEqual(s.curve?[index], fresh.rectified, "alpha \(AlphaCurve.alphas[index])")
            XCTAssertEqual(s.shareCurve[index], fresh.rectifiedShares)
        }
        XCTAssertEqual(AlphaCurve.best(curve)?.index, 0)
        XCTAssertEqual(AlphaCurve.best([.nan, 0.2, 0.4, 0.4])?.index, 2, "the first of equals; NaN never wins")
        XCTAssertNil(AlphaCurve.best([.nan]))
        let other = ImageScores.measure(Fixture.maps, alpha: 0, truth: Fixture.truth, width: 40, height: 20)
        let summary = DatasetSummary(classes: Fixture.classes, scores: [0: s, 1: other])
        let sums = zip(s.curve!, other.curve!).map { var m = $0; m.add($1); return m.meanIoU }
        XCTAssertEqual(summary.meanIoUCurve, sums)
        XCTAssertEqual(summary.shareCurve[10], zip(s.shareCurve[10], other.shareCurve[10]).map { ($0 + $1) / 2 })
        XCTAssertNil(ImageScores.measure(Fixture.maps, alpha: 1, truth: nil, width: 40, height: 20).meanIoUCurve)
    }

    /// View 5 at 200x60 shows the dataset's and the image's mIoU against alpha and the shares.
    func testDatasetViewDrawsTheCurves() {
        var s = Fixture.state(images: 3, width: 200, height: 60).typing("5")
        let bad = ImageScores.measure(Fixture.maps, alpha: 1, truth: Fixture.truth, width: 40, height: 20)
        s = s.applying(.datasetScored(index: 0, alpha: 1, classes: Fixture.classes, scores: bad)).0
        let text = ExplorerFrame(state: s).grid.text
        XCTAssertTrue(text.contains("dataset mIoU: best 0.0, 100%"), text)
        XCTAssertTrue(text.contains("img0.png: best 0.0, 100%"), text)
        XCTAssertTrue(text.contains("pixel share by alpha, 0 -> 2"), text)
        XCTAssertTrue(text.contains("\u{25BC}") && text.contains("\u{25B2}"), "best and current alpha marked")
    }

    func testSummarySumsMatricesAndOrdersWorstFirst() {
        let bad = ImageScores.measure(Fixture.maps, alpha: 1, truth: Fixture.truth, width: 40, height: 20)
        let same = ImageScores.measure(Fixture.maps, alpha: 0, truth: Fixture.truth, width: 40, height: 20)
        let summary = DatasetSummary(classes: Fixture.classes, scores: [0: same, 1: bad, 2: same])
        XCTAssertEqual(summary.imagesWorstFirst, [1, 0, 2])
        var sum = same.raw!
        sum.add(bad.raw!)
        sum.add(same.raw!)
        XCTAssertEqual(summary.raw, sum)
        XCTAssertEqual(summary.improvedAndWorsened.worsened, 1)
        XCTAssertEqual(summary.improvedAndWorsened.improved, 0)
        // sky loses a quarter of one image's pixels to cat: sky's IoU drops and leads the list.
        let rows = summary.classRows
        XCTAssertEqual(rows.first?.index, 0)
        XCTAssertLessThan(rows.first!.change, 0)
        XCTAssertTrue(rows.allSatisfy { $0.raw.isFinite && $0.rectified.isFinite })
        // Without ground truth: shares stand in, and the most changed image leads.
        let free = DatasetSummary(classes: Fixture.classes, scores: [
            0: ImageScores.measure(Fixture.maps, alpha: 0, truth: nil, width: 40, height: 20),
            1: ImageScores.measure(Fixture.maps, alpha: 1, truth: nil, width: 40, height: 20)])
        XCTAssertFalse(free.hasGroundTruth)
        XCTAssertEqual(free.imagesWorstFirst, [1, 0])
        XCTAssertEqual(free.classRows.first?.index, 0, "sky loses share")
    }

    func testOpeningTheViewSweepsAndEnterOpensTheWorstImage() {
        var s = Fixture.state(images: 3)
        let (opened, effects) = s.applying(.key(.character("5")))
        XCTAssertEqual(opened.view, .dataset)
        XCTAssertEqual(effects, [.sweepDataset(alpha: 1)])
        XCTAssertTrue(opened.datasetSweeping)
        s = opened
        let good = ImageScores.measure(Fixture.maps, alpha: 0, truth: Fixture.truth, width: 40, height: 20)
        let bad = ImageScores.measure(Fixture.maps, alpha: 1, truth: Fixture.truth, width: 40, height: 20)
        s = s.applying(.datasetScored(index: 0, alpha: 1, classes: Fixture.classes, scores: good)).0
        s = s.applying(.datasetScored(index: 2, alpha: 1, classes: Fixture.classes, scores: bad)).0
        // Stale results (another alpha) are dropped.
        s = s.applying(.datasetScored(index: 1, alpha: 0.5, classes: Fixture.classes, scores: bad)).0
        XCTAssertEqual(s.datasetScores.keys.sorted(), [0, 2])
        s = s.applying(.datasetSwept(alpha: 1)).0
        XCTAssertFalse(s.datasetSweeping)
        let text = ExplorerFrame(state: s).grid.text
        XCTAssertTrue(text.contains("2/3 images at alpha 1.0"), text)
        XCTAssertTrue(text.contains("img2.png  100 -> 50  -50"), text)
        XCTAssertTrue(text.contains("per-class IoU"), text)
        // j/k move in the list; Enter opens the highlighted (worst) image in view 1.
        let (open, openEffects) = s.applying(.key(.enter))
        XCTAssertEqual(open.view, .compare)
        XCTAssertEqual(open.selected, 2)
        XCTAssertTrue(openEffects.contains(.loadImage(2)))
        XCTAssertEqual(s.typing("j").datasetCursor, 1)
        XCTAssertEqual(s.typing("jjjk").datasetCursor, 0)
        XCTAssertFalse(s.typing("m").datasetMatrixRectified)
        // A new alpha in the view starts a new sweep.
        let (_, again) = s.applying(.key(.character("-")))
        XCTAssertEqual(again, [.sweepDataset(alpha: s.typing("-").alpha)])
        XCTAssertEqual(s.typing("-").alpha, 0.9, accuracy: 1e-6)
    }
}

/// `A`: alpha chosen per image by the label-free rule; alpha keys fix it again.
final class AutomaticAlphaKeyTests: XCTestCase {
    func testAutomaticAlphaFollowsTheImageLevelPrediction() {
        // The image-level prediction says sky and grass, not cat: rectifying (which paints cat)
        // scores worse than raw, so the rule keeps alpha 0.
        var maps = Fixture.maps
        maps.imageLogits = [5, -5, 5]
        XCTAssertEqual(AutomaticAlpha.choose(maps), 0)
        // If the image-level prediction believes in cat, full rectification is chosen.
        maps.imageLogits = [5, 8, 5]
        let chosen = AutomaticAlpha.choose(maps)
        XCTAssertNotNil(chosen)
        XCTAssertGreaterThan(chosen ?? 0, 0)
        XCTAssertNil(AutomaticAlpha.choose(Fixture.rawOnlyMaps), "no bias, nothing to choose")

        var s = Fixture.state(maps: { var m = Fixture.maps; m.imageLogits = [5, -5, 5]; return m }())
        let auto = s.typing("A")
        XCTAssertTrue(auto.automaticAlpha)
        XCTAssertEqual(auto.shownAlpha, 0)
        XCTAssertTrue(ExplorerFrame(state: auto).statusText.contains("alpha auto 0.0"), ExplorerFrame(state: auto).statusText)
        // + starts from the shown alpha and fixes it.
        let fixed = auto.typing("+")
        XCTAssertFalse(fixed.automaticAlpha)
        XCTAssertEqual(fixed.alpha, 0.1, accuracy: 1e-6)
        s = Fixture.state(maps: Fixture.rawOnlyMaps)
        XCTAssertFalse(s.typing("A").automaticAlpha, "no rectifier: nothing to choose")
    }
}

/// The live vocabulary: `a` adds classes, `e` edits the list, `x` removes the focus class.
final class ClassPromptTests: XCTestCase {
    func type(_ s: ExplorerState, _ text: String) -> ExplorerState {
        var state = s
        for c in text { state = state.applying(.key(.character(c))).0 }
        return state
    }

    func testAddingClassesRunsTheEngineForTheNewList() {
        var s = Fixture.state().typing("a")
        XCTAssertEqual(s.prompt?.kind, .add)
        s = type(s, "dog, sky,  boat ")
        XCTAssertTrue(ExplorerFrame(state: s).grid.text.contains("add classes (comma separated): dog, sky,  boat"))
        let (next, effects) = s.applying(.key(.enter))
        XCTAssertNil(next.prompt)
        XCTAssertEqual(next.classes, Fixture.classes + ["dog", "boat"], "sky was there already")
        XCTAssertEqual(next.classes[next.focusClass], "dog", "the first added class gets the focus")
        XCTAssertTrue(effects.contains(.segment(0)), "\(effects)")
        XCTAssertNil(next.currentMaps, "the old list's maps are dropped")
        // Maps for the old list that arrive late are ignored.
        let late = next.applying(.segmented(index: 0, classes: Fixture.classes, maps: Fixture.maps, seconds: 1)).0
        XCTAssertNil(late.currentMaps)
    }

    func testEditingKeysEscapeAndRemoval() {
        var s = Fixture.state().typing("e")
        XCTAssertEqual(s.prompt?.text, Fixture.classes.joined(separator: ", "))
        s = s.applying(.key(.killLine)).0
        s = type(s, "road, car")
        s = s.applying(.key(.home)).0
        s = type(s, "x")
        s = s.applying(.key(.deleteForward)).0   // "xroad, car": Delete takes the r after the cursor
        s = s.applying(.key(.backspace)).0       // and Backspace the x before it
        XCTAssertEqual(s.prompt?.text, "oad, car")
        XCTAssertEqual(s.applying(.key(.escape)).0.classes, Fixture.classes, "Esc changes nothing")
        let edited = s.applying(.key(.enter)).0
        XCTAssertEqual(edited.classes, ["oad", "car"])
        let removed = edited.typing("x")
        XCTAssertEqual(removed.classes, ["car"])
        XCTAssertEqual(removed.typing("x").classes, ["car"], "the last class stays")
    }
}
