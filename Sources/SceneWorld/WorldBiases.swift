import Math
import FileIO
import ModelFiles
import CLIP
import ReCLIP
/// Every bias designed into the scene world, as settings with documented defaults.
///
/// They are tendencies, never rules: a model trained on the world has to learn them from the
/// images. The three kinds follow the ReCLIP paper's account of CLIP's biases:
/// - space preference: the horizon sits in the upper half (`horizon`), so sky is at the top
///   and ground classes at the bottom, with exceptions (`tiltProbability`, reflections in
///   water, `closeUp` and `aerial` scenes that have no horizon);
/// - class frequency: `sceneWeights` make sky, grass and trees common, snow and boats rare;
/// - co-occurrence: cars mostly stand on roads (`carOnRoad` vs `carOffRoad`), boats mostly
///   float on water (`boatOnWater` vs `boatOnSand`).
///
/// ```swift
/// var biases = WorldBiases.default
/// biases.tiltProbability = 0.5      // more tilted horizons
/// let world = WorldGenerator(seed: 1, biases: biases)
/// ```
public struct WorldBiases: Sendable, Equatable, Codable {
    /// Relative frequency of each scene kind, indexed by `WorldSceneKind.rawValue`.
    /// Default: street 0.27, countryside 0.25, lake 0.18, beach 0.11, alpine 0.06,
    /// close-up 0.08, aerial 0.05.
    public var sceneWeights: [Float]
    /// Range of the horizon height, as a fraction of the image height from the top.
    /// Default 0.28...0.55.
    public var horizon: ClosedRange<Float>
    /// Probability that the horizon is tilted (a hand-held camera). Default 0.15.
    public var tiltProbability: Float
    /// Largest tilt, as vertical pixels per horizontal pixel. Default 0.3.
    public var maxTilt: Float
    /// Probability that water mirrors what stands above it (sky, mountains, trees), which
    /// puts sky colours at the bottom of the frame. Default 0.7.
    public var reflectionProbability: Float
    /// Probability of clouds in a scene with sky. Default 0.55.
    public var cloudProbability: Float
    /// Probability of far mountains in countryside and lake scenes. Default 0.5.
    public var mountainProbability: Float
    /// Probability that a scene with a road has cars on it. Default 0.8.
    public var carOnRoad: Float
    /// Probability that a roadless countryside or beach scene has a car parked on grass or
    /// sand. Default 0.04.
    public var carOffRoad: Float
    /// Probability of boats on the water of lake and beach scenes. Default 0.55.
    public var boatOnWater: Float
    /// Probability of a boat pulled up on the sand of a beach scene. Default 0.04.
    public var boatOnSand: Float
    /// Probability that a countryside scene has a road through it. Default 0.3.
    public var countryRoad: Float
    /// Classes covering fewer pixels than this fraction of the image are marked ignore (255)
    /// in the mask and left out of the caption. Default 0.004 (37 pixels at 96x96).
    public var minimumFraction: Float
    /// Probability that a caption names only the scene's most salient classes (the largest
    /// region and the largest thing), as web captions do, instead of every class present.
    /// Default 0: every caption names every class in the mask.
    public var salientCaptionProbability: Float = 0

    public init(sceneWeights: [Float], horizon: ClosedRange<Float>, tiltProbability: Float,
                maxTilt: Float, reflectionProbability: Float, cloudProbability: Float,
                mountainProbability: Float, carOnRoad: Float, carOffRoad: Float,
                boatOnWater: Float, boatOnSand: Float, countryRoad: Float, minimumFraction: Float,
                salientCaptionProbability: Float = 0) {
        precondition(sceneWeights.count == WorldSceneKind.allCases.count,
                     "sceneWeights needs one weight per scene kind")
        precondition(sceneWeights.allSatisfy { $0 >= 0 } && sceneWeights.contains { $0 > 0 },
                     "sceneWeights must be non-negative and not all zero")
        self.sceneWeights = sceneWeights
        self.horizon = horizon
        self.tiltProbability = tiltProbability
        self.maxTilt = maxTilt
        self.reflectionProbability = reflectionProbability
        self.cloudProbability = cloudProbability
        self.mountainProbability = mountainProbability
        self.carOnRoad = carOnRoad
        self.carOffRoad = carOffRoad
        self.boatOnWater = boatOnWater
        self.boatOnSand = boatOnSand
        self.countryRoad = countryRoad
        self.minimumFraction = minimumFraction
        self.salientCaptionProbability = salientCaptionProbability
    }

    /// The documented defaults: a world biased the way photographs are.
    public static let `default` = WorldBiases(
        sceneWeights: [0.27, 0.25, 0.18, 0.11, 0.06, 0.08, 0.05],
        horizon: 0.28...0.55, tiltProbability: 0.15, maxTilt: 0.3,
        reflectionProbability: 0.7, cloudProbability: 0.55, mountainProbability: 0.5,
        carOnRoad: 0.8, carOffRoad: 0.04, boatOnWater: 0.55, boatOnSand: 0.04,
        countryRoad: 0.3, minimumFraction: 0.004)

    /// A control world with the biases weakened: scene kinds equally likely, the horizon
    /// anywhere, frequent tilts, and cars and boats as likely off their usual ground as on it.
    public static let balanced = WorldBiases(
        sceneWeights: [Float](repeating: 1, count: WorldSceneKind.allCases.count),
        horizon: 0.15...0.85, tiltProbability: 0.5, maxTilt: 0.5,
        reflectionProbability: 0.5, cloudProbability: 0.5, mountainProbability: 0.5,
        carOnRoad: 0.5, carOffRoad: 0.5, boatOnWater: 0.5, boatOnSand: 0.5,
        countryRoad: 0.5, minimumFraction: 0.004)

    /// The same biases with the scene kinds mixed as `mix` says (a site of mostly streets, or
    /// mostly coast); every other bias is kept.
    public func mixed(_ mix: WorldSceneMix) -> WorldBiases {
        var b = self
        b.sceneWeights = mix.weights
        return b
    }

    /// The weight of one scene kind.
    public func weight(_ kind: WorldSceneKind) -> Float { sceneWeights[kind.rawValue] }
}

/// A site's mix of scene kinds, unlike the training world's: `streets` (a city camera: 70 %
/// street scenes, some aerial views of roads) or `coast` (80 % lake and beach scenes).
///
/// ```swift
/// let coast = WorldGenerator(seed: 4242, biases: WorldBiases.default.mixed(.coast))
/// ```
public enum WorldSceneMix: String, Sendable, CaseIterable {
    case streets, coast

    /// Scene-kind weights in `WorldSceneKind` order (street, countryside, lake, beach, alpine,
    /// close-up, aerial).
    public var weights: [Float] {
        switch self {
        case .streets: return [0.70, 0.08, 0.02, 0.02, 0.02, 0.06, 0.10]
        case .coast: return [0.03, 0.05, 0.40, 0.40, 0.02, 0.05, 0.05]
        }
    }
}
