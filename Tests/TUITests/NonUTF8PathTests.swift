import Foundation
import XCTest
import TestSupport

/// Issue 14's non-UTF-8 file names through the real binary: a Latin-1 name (`caf\xE9.png`)
/// reaches `segment`, `render`, `eval` and `train` byte for byte, as an image, a folder, the
/// weights, a rectifier, a dump, a shard or a trained rectifier, and a missing one is named
/// escaped in the error. The shell builds the names with `printf` so that their bytes reach
/// `argv` untouched (a `Process` argument is a `String`, which cannot hold them).
final class NonUTF8PathTests: XCTestCase {
    var temp: String!

    override func setUpWithError() throws { temp = try scratchFolder("reclip-bytes").path }

    /// Runs `script` in `sh` with `$R` the binary, `$S` the repository's samples/world, `$M` its
    /// models/world, `$T` a fresh folder and `$N` the bytes `caf\xE9.png`.
    func sh(_ script: String) throws -> ChildProcessResult {
        let repository = CommandLineErrorTests.repository
        return try ChildProcess.shell(#"N=$(printf 'caf\351.png'); "# + script,
                                      variables: ["RECLIP_HOME": temp + "/home", "R": try TmuxSession.locateReclip(),
                                                  "S": repository.appendingPathComponent("samples/world").path,
                                                  "M": repository.appendingPathComponent("models/world").path, "T": temp])
    }

    func testSegmentAndRenderOpenALatin1NamedImage() throws {
        let seg = try sh(#"cp "$S/JPEGImages/world_000000.png" "$T/$N" && "$R" segment --image "$T/$N" --mask-out "$T/mask-$N" && test -s "$T/mask-$N""#)
        XCTAssertEqual(seg.status, 0, seg.err)
        XCTAssertTrue(seg.out.contains("feature grid"), seg.out)
        let render = try sh(#"cp "$S/JPEGImages/world_000000.png" "$T/$N" && "$R" render "$T/$N" --colors 256 --width 20"#)
        XCTAssertEqual(render.status, 0, render.err)
        XCTAssertTrue(render.out.contains("\u{1B}[48;5;"), "a picture in 256 colours")
    }

    /// In a current folder whose own name is not UTF-8, relative outputs are written beside the
    /// inputs: the atomic write and the folder maker split the path themselves instead of making
    /// it absolute through Foundation's current directory, which loses the byte.
    func testRelativeOutputsInALatin1CurrentFolder() throws {
        let r = try sh(#"mkdir "$T/w$N" && cd "$T/w$N" && cp "$S/JPEGImages/world_000000.png" a.png && "$R" segment --image a.png --mask-out m.png && test -s m.png && "$R" segment --image a.png --dump d.safetensors && test -s d.safetensors && "$R" eval --dataset "$S" --out p.json && test -s p.json"#)
        XCTAssertEqual(r.status, 0, r.err)
        XCTAssertFalse(r.err.contains("cannot"), r.err)
    }

    /// A weights registry under a non-UTF-8 folder is walked by its bytes, and its paths are
    /// printed escaped.
    func testAWeightsRegistryUnderALatin1Folder() throws {
        let r = try sh(#"H="$T/h$N"; RECLIP_HOME="$H" "$R" weights import "$M/mini-clip.safetensors" --name my/mini > /dev/null && RECLIP_HOME="$H" "$R" weights list"#)
        XCTAssertEqual(r.status, 0, r.err)
        XCTAssertTrue(r.out.contains("my/mini  [local]  present"), r.out)
        XCTAssertTrue(r.out.contains(#"/hcaf\xE9.png/my/mini/model.safetensors"#), r.out)
        XCTAssertFalse(r.stdout.contains(0xE9), "the raw byte never reaches the terminal")
    }

    func testAMissingLatin1NameIsShownEscaped() throws {
        let r = try sh(#""$R" segment --image "$T/missing-$N""#)
        XCTAssertNotEqual(r.status, 0)
        XCTAssertTrue(r.err.contains(#"missing-caf\xE9.png: cannot read the file (no such file)"#), r.err)
        XCTAssertFalse(r.stderr.contains(0xE9), "the raw byte never reaches the terminal")
        XCTAssertFalse(r.err.contains("\u{FFFD}"), "nor a replacement character")
    }

    func testEvalOpensADatasetFolderSoNamed() throws {
        let r = try sh(#"D="$T/w$N"; cp -r "$S" "$D" && head -n 2 "$D/ImageSets/Segmentation/val.txt" > "$D/ImageSets/Segmentation/two.txt" && "$R" eval --dataset "$D" --split two --json"#)
        XCTAssertEqual(r.status, 0, r.err)
        XCTAssertTrue(r.out.contains("mIoU"), r.out)
    }

    func testTrainListsAFolderOfLatin1Names() throws {
        let r = try sh(#"mkdir "$T/images" && cp "$S/JPEGImages/world_000000.png" "$T/images/$N" && cp "$S/JPEGImages/world_000001.png" "$T/images/$(printf 'na\357ve.png')" && "$R" train --weights "$M/mini-clip.safetensors" --images "$T/images" --classes sky,cloud,mountain,snow,tree,grass,water,sand,road,building,car,boat --size 96 --epochs 1 --out "$T/r.safetensors" && test -s "$T/r.safetensors""#)
        XCTAssertEqual(r.status, 0, r.err)
        XCTAssertTrue(r.out.contains("trained 2 steps"), r.out)
    }

    /// The bundled world model's classes, for commands given `--weights`.
    static let worldClasses = "sky,cloud,mountain,snow,tree,grass,water,sand,road,building,car,boat"

    func testSegmentOpensLatin1NamedWeightsAndRectifier() throws {
        let r = try sh(#"W="$T/$(printf 'w\351ights.safetensors')"; Q="$T/$(printf 'r\351ctifier.safetensors')"; cp "$M/mini-clip.safetensors" "$W" && cp "$M/rectifier-reclip.safetensors" "$Q" && cp "$S/JPEGImages/world_000000.png" "$T/$N" && "$R" segment --image "$T/$N" --weights "$W" --rectifier "$Q" --classes \#(Self.worldClasses) --size 96 --dump "$T/dump-$N.safetensors" && test -s "$T/dump-$N.safetensors""#)
        XCTAssertEqual(r.status, 0, r.err)
        XCTAssertTrue(r.out.contains("feature grid"), r.out)
        XCTAssertFalse(r.err.contains("cannot"), r.err)
    }

    func testAMissingLatin1WeightsFileIsShownEscaped() throws {
        let r = try sh(#""$R" segment --image "$S/JPEGImages/world_000000.png" --weights "$T/$(printf 'w\351ights.safetensors')" --classes sky,tree"#)
        XCTAssertNotEqual(r.status, 0)
        XCTAssertTrue(r.err.contains(#"w\xE9ights.safetensors: no such weights file"#), r.err)
        XCTAssertFalse(r.stderr.contains(0xE9), "the raw byte never reaches the terminal")
        XCTAssertFalse(r.err.contains("\u{FFFD}"), "nor a replacement character")
    }

    func testTrainStartsFromAndWritesLatin1Names() throws {
        let r = try sh(#"I="$T/$(printf 'st\351rt.safetensors')"; O="$T/$(printf 'tr\351ined.safetensors')"; mkdir "$T/images" && cp "$S/JPEGImages/world_000000.png" "$T/images/a.png" && cp "$M/rectifier-reclip.safetensors" "$I" && "$R" train --weights "$M/mini-clip.safetensors" --images "$T/images" --classes \#(Self.worldClasses) --size 96 --epochs 1 --init "$I" --out "$O" && test -s "$O""#)
        XCTAssertEqual(r.status, 0, r.err)
        XCTAssertTrue(r.out.contains(#"steps: "#) && r.out.contains(#"tr\xE9ined.safetensors"#), r.out)
        XCTAssertFalse(r.stdout.contains(0xE9), "the raw byte never reaches the terminal")
    }

    /// An installation under a Latin-1 folder: the binary finds the bundled model beside it.
    func testAnInstallationUnderALatin1FolderFindsItsBundledModel() throws {
        let r = try sh(#"I="$T/$(printf 'inst\351ll')"; mkdir -p "$I/bin" "$I/models" && cp "$R" "$I/bin/reclip" && cp -r "$(dirname "$R")/reclip_CLIP.resources" "$I/bin/" && cp -r "$M" "$I/models/world" && "$I/bin/reclip" segment --image "$S/JPEGImages/world_000000.png""#)
        XCTAssertEqual(r.status, 0, r.err)
        XCTAssertTrue(r.out.contains("feature grid"), r.out)
    }

    func testEvalWritesALatin1NamedShardAndMergeReadsIt() throws {
        let r = try sh(#"D="$T/world"; J="$T/$(printf 'sh\351rd.json')"; cp -r "$S" "$D" && head -n 2 "$D/ImageSets/Segmentation/val.txt" > "$D/ImageSets/Segmentation/two.txt" && "$R" eval --dataset "$D" --split two --out "$J" && test -s "$J" && "$R" eval merge "$J" --json"#)
        XCTAssertEqual(r.status, 0, r.err)
        XCTAssertTrue(r.out.contains(#"sh\xE9rd.json"#), "the shard is named escaped: " + r.out)
        XCTAssertTrue(r.out.contains("mIoU"), r.out)
        XCTAssertFalse(r.stdout.contains(0xE9), "the raw byte never reaches the terminal")
    }
}

/// The explorer on a dataset folder named `w\xE9rld` holding `caf\xE9.png` besides its scenes:
/// `reclip DIR` lists all four, shows the Latin-1 name escaped, and opens it.
extension ExplorerEndToEndTests {
    func testTheExplorerListsAndOpensLatin1Names() throws {
        let temp = NSTemporaryDirectory() + "reclip-bytes-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: temp, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: temp) }
        let make = try ChildProcess.shell(#"set -e; D="$T/$(printf 'w\351rld')"; cp -r "$F" "$D"; cp "$D/JPEGImages/scene-1.png" "$D/JPEGImages/$(printf 'caf\351.png')""#,
                                          variables: ["T": temp, "F": Self.dataset])
        XCTAssertEqual(make.status, 0, make.err)
        try tmux.type(#"\#(reclip) "$(printf '\#(temp)/w\351rld')" --no-model; "# + Self.reportModes)
        let screen = try tmux.waitFor("the first frame") { $0.contains("? help") && $0.contains("1/4") }
        XCTAssertTrue(screen.contains(#"caf\xE9.png"#), screen)
        XCTAssertFalse(screen.contains("\u{FFFD}") || screen.contains("cannot read"), screen)
        try tmux.press("q")
        try assertRestored(exit: 0)
    }
}
