import Pixels

/// Encodes an image for iTerm2's inline images protocol (also WezTerm, Konsole, mintty):
/// `ESC ] 1337 ; File = inline=1;size=N;width=W;height=H;preserveAspectRatio=0 : <base64
/// PNG>` ended by BEL or ST, with `size` the PNG's byte count and the sizes in cells (`N`),
/// pixels (`Npx`), percent of the session (`N%`) or `auto`.
///
/// iTerm2 3.5 and later refuse escapes over 1 MiB; a longer image goes as
/// `MultipartFile=<same arguments>`, then `FilePart=<base64 piece>` escapes, then `FileEnd`
/// (`Transfer.automatic` picks that form only when needed). With `tmuxPassthrough` each
/// escape is wrapped for tmux.
///
/// ```swift
/// let iterm = ITermImageEncoder(width: .cells(40), height: .cells(20))
/// let bytes = try iterm.encode(panel)
/// ```
public struct ITermImageEncoder: Hashable, Sendable {
    /// A width or height argument.
    public enum Size: Hashable, Sendable {
        /// `N`: character cells.
        case cells(Int)
        /// `Npx`: pixels.
        case pixels(Int)
        /// `N%`: percent of the session's width or height.
        case percent(Int)
        /// `auto`: the image's own size.
        case auto

        var argument: String {
            switch self {
            case .cells(let n): return "\(n)"
            case .pixels(let n): return "\(n)px"
            case .percent(let n): return "\(n)%"
            case .auto: return "auto"
            }
        }

        var amount: Int? {
            switch self {
            case .cells(let n), .pixels(let n), .percent(let n): return n
            case .auto: return nil
            }
        }
    }

    /// How an escape ends.
    public enum Terminator: Hashable, Sendable {
        /// BEL (0x07), what iTerm2's imgcat sends.
        case bel
        /// ST (`ESC \`).
        case st

        var bytes: [UInt8] { self == .bel ? [0x07] : [0x1B, UInt8(ascii: "\\")] }
    }

    /// One escape or several.
    public enum Transfer: Hashable, Sendable {
        /// One `File=` escape, whatever its length.
        case single
        /// `MultipartFile`, `FilePart` escapes of at most this many base64 bytes, `FileEnd`.
        case multipart(partSize: Int)
        /// `single` when the escape fits `maxEscapeBytes`, else multipart in parts of
        /// `defaultPartSize`.
        case automatic
    }

    /// The longest escape iTerm2 3.5 accepts (and tmux passes on).
    public static let maxEscapeBytes = 1_048_576
    /// The base64 bytes per `FilePart` of `Transfer.automatic`.
    public static let defaultPartSize = 262_144
    /// The largest image encoded by default: 16 megapixels.
    public static let defaultMaxPixels = 4096 * 4096
    /// The largest width or height argument accepted.
    public static let maxSizeArgument = 100_000

    /// The width shown.
    public var width: Size
    /// The height shown.
    public var height: Size
    /// Whether the terminal keeps the aspect ratio inside width x height (`1`) or stretches
    /// the image to fill it (`0`).
    public var preserveAspectRatio: Bool
    /// How each escape ends.
    public var terminator: Terminator
    /// One escape or several.
    public var transfer: Transfer
    /// Whether each escape is wrapped for tmux's passthrough.
    public var tmuxPassthrough: Bool
    /// Whether libpng favours speed over size (about 6x faster, 2x larger): on by default,
    /// since a panel's PNG is made on every redraw.
    public var fastPNG: Bool
    /// The largest image accepted, in pixels.
    public var maxPixels: Int

    public init(width: Size = .auto, height: Size = .auto, preserveAspectRatio: Bool = false,
                terminator: Terminator = .bel, transfer: Transfer = .automatic, tmuxPassthrough: Bool = false,
                fastPNG: Bool = true, maxPixels: Int = ITermImageEncoder.defaultMaxPixels) {
        self.width = width
        self.height = height
        self.preserveAspectRatio = preserveAspectRatio
        self.terminator = terminator
        self.transfer = transfer
        self.tmuxPassthrough = tmuxPassthrough
        self.fastPNG = fastPNG
        self.maxPixels = maxPixels
    }

    /// The escape(s) that show `image`, sent as a PNG.
    public func encode(_ image: RGBImage) throws -> [UInt8] {
        let (w, h) = (image.width, image.height)
        guard w > 0 && h > 0 else {
            throw RenderError(file: "iTerm image", .invalidArgument("an iTerm image needs at least 1x1 pixels, not \(w)x\(h)"))
        }
        guard w * h <= maxPixels else {
            throw RenderError(file: "iTerm image", .tooLarge(width: w, height: h, limit: maxPixels))
        }
        return try encode(png: PNGCodec.encode(image, name: "iTerm image", fast: fastPNG))
    }

    /// The escape(s) that show an already encoded PNG (or any file iTerm2 can show).
    public func encode(png: [UInt8]) throws -> [UInt8] {
        guard !png.isEmpty else {
            throw RenderError(file: "iTerm image", .invalidArgument("an iTerm image needs a non-empty file"))
        }
        for (name, size) in [("width", width), ("height", height)] {
            if let n = size.amount, n < 1 || n > ITermImageEncoder.maxSizeArgument {
                throw RenderError(file: "iTerm image", .invalidArgument(
                    "an iTerm image \(name) is 1 to \(ITermImageEncoder.maxSizeArgument), not \(n)"))
            }
        }
        let arguments = "inline=1;size=\(png.count);width=\(width.argument);height=\(height.argument)"
            + ";preserveAspectRatio=\(preserveAspectRatio ? 1 : 0)"
        let payload = Base64.encode(png)
        let partSize: Int?
        switch transfer {
        case .single: partSize = nil
        case .multipart(let size):
            guard size >= 4 && size % 4 == 0 && size <= ITermImageEncoder.maxEscapeBytes - 32 else {
                throw RenderError(file: "iTerm image", .invalidArgument(
                    "an iTerm file part holds a multiple of 4 base64 bytes up to \(ITermImageEncoder.maxEscapeBytes - 32), not \(size)"))
            }
            partSize = size
        case .automatic:
            let single = 10 + arguments.utf8.count + 1 + payload.count + 2
            partSize = single <= ITermImageEncoder.maxEscapeBytes ? nil : ITermImageEncoder.defaultPartSize
        }
        guard let partSize else {
            return escape(Array("File=\(arguments):".utf8) + payload)
        }
        var out = escape(Array("MultipartFile=\(arguments)".utf8))
        var start = 0
        while start < payload.count {
            let end = min(payload.count, start + partSize)
            out += escape(Array("FilePart=".utf8) + payload[start..<end])
            start = end
        }
        out += escape(Array("FileEnd".utf8))
        return out
    }

    /// `ESC ] 1337 ; body` + terminator, wrapped for tmux if asked.
    private func escape(_ body: [UInt8]) -> [UInt8] {
        var out: [UInt8] = [0x1B, UInt8(ascii: "]")]
        out.append(contentsOf: Array("1337;".utf8))
        out.append(contentsOf: body)
        out.append(contentsOf: terminator.bytes)
        return tmuxPassthrough ? TmuxPassthrough.wrap(out) : out
    }
}
