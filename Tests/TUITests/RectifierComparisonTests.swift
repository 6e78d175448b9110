import Foundation
import XCTest
@testable import TUI
import ReCLIP

/// `b` in the compare view: the rectifier an adaptation started from against the adapted one,
/// each rectified at the shown alpha, named, and scored where there is ground truth. Pure
/// updates and frames only; the engine's maps arrive as events.
final class RectifierComparisonTests: XCTestCase {
    static let bundled = ModelInfo(name: "test-model", variant: "ReCLIP", hasRectifier: true, rectifierName: "bundled")
    static let file = URL(fileURLWithPath: "/tmp/adapted.safetensors")

    /// An adapted rectifier whose bias is zero: its rectified mask is the raw one (mIoU 100%
    /// against `Fixture.truth`, where the bundled rectifier's is 50% at alpha 1).
    static var adaptedMaps: SegmentationMaps {
        let m = Fixture.maps, zero = [Float](repeating: 0, count: m.raw.count)
        return SegmentationMaps(classNames: m.classNames, gridWidth: m.gridWidth, gridHeight: m.gridHeight, raw: m.raw,
                                classBias: zero, spaceBias: zero, bias: zero)
    }

    /// The bundled model with ground truth, adapted to its 3 images and offered, on a terminal
    /// wide enough for whole captions.
    static func offered() -> (ExplorerState, [ExplorerEffect]) {
        Fixture.state(model: bundled, truth: Fixture.truth, width: 160, height: 50).typing("T")
            .applying(.adapted(file: file, summary: "adapted to 3 images"))
    }

    /// `offered()` with `b` pressed and the adapted rectifier's maps arrived.
    static func comparing() -> ExplorerState {
        let s = offered().0.typing("b")
        return s.applying(.comparisonSegmented(index: 0, classes: Fixture.classes, readout: Readout(),
                                               side: s.rectifierComparison!.other, maps: adaptedMaps, seconds: 0.1)).0
    }

    static func text(_ s: ExplorerState) -> String { ExplorerFrame(state: s).grid.text }

    func testWithoutAnAdaptedRectifierBSaysSoInTheStatusLine() {
        let s = Fixture.state().typing("2b")
        XCTAssertNil(s.rectifierComparison)
        XCTAssertEqual(s.view, .bias)
        XCTAssertTrue(ExplorerFrame(state: s).statusText.hasPrefix("no adapted rectifier to compare with: T adapts"),
                      ExplorerFrame(state: s).statusText)
        let running = Fixture.state().typing("T").applying(.adaptationProgress(phase: "step 1/9", fraction: 0.4)).0.typing("b")
        XCTAssertTrue(running.message?.hasPrefix("no adapted rectifier yet: adapting 40%") == true, "\(String(describing: running.message))")
        XCTAssertEqual(running.applying(.key(.character("b"))).1, [])
    }

    func testAnOfferNamesBothRectifiersAndMakesTheSecondEngine() {
        let (s, effects) = Self.offered()
        XCTAssertEqual(effects, [.compareAdapted(file: Self.file)])
        XCTAssertEqual(s.rectifierComparison?.startingName, "ReCLIP (bundled)")
        XCTAssertEqual(s.rectifierComparison?.adaptedName, "ReCLIP (adapted, 3 images)")
        XCTAssertEqual(s.rectifierComparison?.shown, false)
        XCTAssertTrue(ExplorerFrame(state: s).statusText.contains("n keeps the current, b compares"))
        // Nothing is computed for the comparison until it is shown.
        XCTAssertTrue(s.rectifierComparison?.otherMaps.isEmpty == true)
        // A rectifier without a known name is the starting one.
        let unnamed = Fixture.state().typing("T").applying(.adapted(file: Self.file, summary: "")).0
        XCTAssertEqual(unnamed.rectifierComparison?.startingName, "ReCLIP (starting)")
    }

    func testBShowsBothRectifiersInTheCompareViewAndAgainRawAgainstRectified() {
        let (offered, _) = Self.offered()
        let (s, effects) = offered.typing("3").applying(.key(.character("b")))
        XCTAssertEqual(s.view, .compare, "b opens the compare view")
        XCTAssertEqual(effects, [.segmentComparison(0)])
        XCTAssertTrue(s.rectifierComparison?.shown == true)
        var text = Self.text(s)
        XCTAssertTrue(text.contains("ReCLIP (bundled)  mIoU 50%"), text)
        XCTAssertTrue(text.contains("ReCLIP (adapted, 3 images)"), text)
        XCTAssertTrue(text.contains("computing..."), "the adapted panel waits for its maps: \(text)")
        XCTAssertFalse(text.contains("raw CLIP"), text)
        XCTAssertTrue(s.message?.contains("ReCLIP (bundled) against ReCLIP (adapted, 3 images)") == true)
        let arrived = s.applying(.comparisonSegmented(index: 0, classes: Fixture.classes, readout: Readout(),
                                                      side: s.rectifierComparison!.other, maps: Self.adaptedMaps, seconds: 0.1)).0
        text = Self.text(arrived)
        XCTAssertTrue(text.contains("ReCLIP (adapted, 3 images)  mIoU 100%"), text)
        XCTAssertFalse(text.contains("computing..."), text)
        // b again: raw against rectified, with nothing to compute; the maps stay for the next b.
        let (back, none) = arrived.applying(.key(.character("b")))
        XCTAssertEqual(none, [])
        text = Self.text(back)
        XCTAssertTrue(text.contains("raw CLIP  mIoU 100%") && text.contains("rectified (alpha 1.0)  mIoU 50%"), text)
        XCTAssertFalse(ViewPanels(state: back).specs(width: 40, height: 20).contains { $0.caption.contains("bundled") })
        XCTAssertEqual(back.typing("b").applying(.key(.character("1"))).1, [], "the maps are kept")
    }

    func testBothPanelsAreAtTheShownAlphaAndTheirKeysFollowTheirOwnMaps() {
        let s = Self.comparing()
        let specs = ViewPanels(state: s).specs(width: 40, height: 20)
        XCTAssertEqual(specs.map(\.title), ["image", "ground truth", "ReCLIP (bundled)  mIoU 50%", "ReCLIP (adapted, 3 images)  mIoU 100%"])
        XCTAssertEqual(specs.map(\.recipe), [.photo, .groundTruth(opacity: 1), .mask(alpha: 1, opacity: 1), .comparisonMask(alpha: 1)])
        // At alpha 0 both are the raw mask.
        let raw = s.typing("0")
        XCTAssertEqual(ViewPanels(state: raw).specs(width: 40, height: 20).map(\.title).suffix(2),
                       ["ReCLIP (bundled)  mIoU 100%", "ReCLIP (adapted, 3 images)  mIoU 100%"])
        // The adapted panel is its own maps' mask: the raw one here, not the bundled rectified one.
        let panels = ViewPanels(state: s)
        let bundled = panels.compose(.mask(alpha: 1, opacity: 1), width: 40, height: 20, photo: Fixture.picture)
        let adapted = panels.compose(.comparisonMask(alpha: 1), width: 40, height: 20, photo: Fixture.picture)
        XCTAssertEqual(adapted, panels.compose(.mask(alpha: 0, opacity: 1), width: 40, height: 20, photo: Fixture.picture))
        XCTAssertNotEqual(adapted, bundled)
        XCTAssertTrue(PanelRecipe.comparisonMask(alpha: 1).dependsOnAlpha)
    }

    func testYSwapsTheSidesAndKeepsBothRectifiersMaps() {
        let s = Self.comparing()
        let (using, effects) = s.applying(.key(.character("y")))
        XCTAssertEqual(effects, [.useAdapted(file: Self.file)])
        let adaptedModel = ModelInfo(name: "test-model", variant: "ReCLIP, adapted", hasRectifier: true)
        let (switched, again) = using.applying(.rectifierSwitched(model: adaptedModel, savedAt: "/images/rectifier-adapted.safetensors",
                                                                  problem: nil))
        XCTAssertEqual(switched.rectifierComparison?.adaptedInUse, true)
        XCTAssertEqual(switched.rectifierComparison?.other, RectifierComparison.Side(round: 1, adapted: false))
        XCTAssertEqual(switched.currentMaps?.bias, Self.adaptedMaps.bias, "the engine's maps are the adapted rectifier's")
        XCTAssertEqual(switched.comparisonMaps?.bias, Fixture.maps.bias)
        XCTAssertFalse(again.contains(.segment(0)) || again.contains(.segmentComparison(0)), "nothing to compute again: \(again)")
        // The starting rectifier stays on the left, the adapted one on the right.
        XCTAssertEqual(ViewPanels(state: switched).specs(width: 40, height: 20).map(\.title).suffix(2),
                       ["ReCLIP (bundled)  mIoU 50%", "ReCLIP (adapted, 3 images)  mIoU 100%"])
        // A late result of the adapted side (the engine before the switch) is not taken for the bundled one.
        let late = switched.applying(.comparisonSegmented(index: 0, classes: Fixture.classes, readout: Readout(),
                                                          side: .init(round: 1, adapted: true), maps: Self.adaptedMaps, seconds: 0)).0
        XCTAssertEqual(late.comparisonMaps?.bias, Fixture.maps.bias)
    }

    func testNDropsTheOfferAndANewRoundStartsFromTheAdaptedRectifier() {
        let (kept, effects) = Self.comparing().applying(.key(.character("n")))
        XCTAssertEqual(effects, [.dropComparison])
        XCTAssertNil(kept.rectifierComparison)
        XCTAssertTrue(Self.text(kept).contains("raw CLIP"))
        // A new T while an offer is open replaces it.
        XCTAssertEqual(Self.offered().0.applying(.key(.character("T"))).1, [.dropComparison, .adapt])
        // After y, a second adaptation starts from the adapted rectifier.
        let switched = Self.comparing().typing("y")
            .applying(.rectifierSwitched(model: ModelInfo(name: "m", variant: "ReCLIP, adapted", hasRectifier: true), savedAt: nil, problem: nil)).0
        XCTAssertEqual(switched.applying(.key(.character("T"))).1, [.adapt], "the kept comparison stays while adapting")
        let second = switched.typing("T").applying(.adapted(file: Self.file, summary: "again")).0
        XCTAssertEqual(second.rectifierComparison?.startingName, "ReCLIP (adapted, 3 images)")
        XCTAssertEqual(second.rectifierComparison?.adaptedName, "ReCLIP (adapted 2x, 3 images)")
        XCTAssertEqual(second.rectifierComparison?.shown, true, "still shown")
    }

    func testANarrowPanelCutsTheNameNotTheFigure() {
        var s = Self.comparing()
        s.width = 122
        s.height = 40
        let text = Self.text(s)
        XCTAssertTrue(text.contains("ReCLIP (adapted, 3 imag\u{2026}  mIoU 100%"), text)
    }

    func testAnotherHeadClassListOrImageRecomputesOrCancelsBothSides() {
        let s = Self.comparing()
        let (headed, effects) = s.applying(.key(.character("h")))
        XCTAssertTrue(effects.contains(.segment(0)) && effects.contains(.segmentComparison(0)), "\(effects)")
        XCTAssertNil(headed.comparisonMaps)
        // Results for the old head are ignored.
        let stale = headed.applying(.comparisonSegmented(index: 0, classes: Fixture.classes, readout: Readout(),
                                                         side: headed.rectifierComparison!.other, maps: Self.adaptedMaps, seconds: 0)).0
        XCTAssertNil(stale.comparisonMaps)
        // Moving on while the other rectifier computes cancels it.
        let waiting = Self.offered().0.typing("b")
        let (moved, moveEffects) = waiting.applying(.key(.character("j")))
        XCTAssertTrue(moveEffects.contains(.cancelComparison(0)), "\(moveEffects)")
        XCTAssertNil(moved.rectifierComparison?.otherMaps[0])
        let failed = waiting.applying(.comparisonFailed(index: 0, side: waiting.rectifierComparison!.other, problem: "no file")).0
        XCTAssertTrue(Self.text(failed).contains("engine: no file"))
    }
}
