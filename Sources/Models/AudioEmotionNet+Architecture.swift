import NN

extension AudioEmotionNet {
    /// Which network to build over the `[N, F, T]` feature matrix (features are the channels of
    /// a 1-D convolution over time).
    public enum Architecture: String, CaseIterable, Sendable, Codable {
        /// Srihari & Bhaskaran's 1D CNN (after the common Kaggle RAVDESS CNN): five blocks of
        /// Conv1d(k5, p2) -> ReLU -> BatchNorm -> MaxPool(2, 2) with 512, 512, 256, 256, 128
        /// filters, flatten, Linear 512 -> ReLU -> Dropout -> Linear 8. Its flatten width, and so
        /// its input length, is fixed by `Configuration.inputFrames` (divisible into 5 halvings).
        ///
        /// The Kaggle notebook the paper follows feeds the *flattened* feature vector as a
        /// one-channel sequence; `featureCount: 1, inputFrames: 5984` reproduces that layout and
        /// the paper's flatten width of 23,936 (128 x 187), about 8 GFLOP per clip. The default
        /// (features as 42 channels over 320 frames) is the same stack at ~0.6 GFLOP
        /// (~0.25 GFLOP at 128 frames).
        case paper
        /// A small net that trains fully on 2 cores in minutes: Conv1d 64 k5 -> BN -> ReLU ->
        /// MaxPool2, Conv1d 128 k5 -> BN -> ReLU -> MaxPool2, Conv1d 128 k3 -> BN -> ReLU,
        /// global average pool over time, Dropout, Linear 8. About 17 MFLOP for 128 frames,
        /// 43 MFLOP for 320. Chosen over a deeper (4 conv) and a half-width variant in a
        /// speaker-independent RAVDESS trial (held-out actors 1-4, no augmentation, 30 epochs):
        /// all three landed at 41-52 % with this one at the top and ~4 s per epoch on one core.
        case compact

        /// The shortest time axis the network accepts.
        public var minimumFrames: Int {
            switch self {
            case .paper: return 32   // five halvings down to at least one position
            case .compact: return 4  // two halvings
            }
        }
    }

    /// Everything that determines the network's shape (and is saved with it).
    public struct Configuration: Sendable, Equatable {
        public var architecture: Architecture
        /// Feature rows per frame (channels of the first conv); 42 = ZCR + RMS + 40 MFCC.
        public var featureCount: Int
        /// Frames per example; inputs are centre-cropped or centre-padded to this length.
        public var inputFrames: Int
        /// Dropout rate before the classifier (training only).
        public var dropout: Float

        /// Default: 42 features, 320 frames (3.2 s at the Audio module's 100 frames per second;
        /// RAVDESS sentences last 3.2-4 s), dropout 0.3.
        public init(architecture: Architecture, featureCount: Int = 42, inputFrames: Int = 320, dropout: Float = 0.3) {
            self.architecture = architecture
            self.featureCount = featureCount
            self.inputFrames = inputFrames
            self.dropout = dropout
        }

        /// Throws `invalidMetadata` when the sizes cannot build a network.
        public func validate() throws {
            guard (1...4096).contains(featureCount) else {
                throw ModelError(.invalidMetadata, "feature count \(featureCount) outside 1...4096")
            }
            guard (architecture.minimumFrames...100_000).contains(inputFrames) else {
                throw ModelError(.invalidMetadata,
                                 "input frames \(inputFrames): the \(architecture.rawValue) net needs \(architecture.minimumFrames)...100000")
            }
            guard dropout >= 0 && dropout < 1 else {
                throw ModelError(.invalidMetadata, "dropout \(dropout) outside [0, 1)")
            }
        }
    }

    /// Builds the layer stack for `configuration`, initialised from `seed`.
    static func makeNetwork(_ configuration: Configuration, classCount: Int, seed: UInt64) -> Sequential {
        var rng = SeededRandom(seed: seed)
        let f = configuration.featureCount
        switch configuration.architecture {
        case .paper:
            var layers: [Layer] = []
            var channels = f
            var length = configuration.inputFrames
            for filters in [512, 512, 256, 256, 128] {
                layers += [
                    Conv1d(inChannels: channels, outChannels: filters, kernelSize: 5, padding: 2, rng: &rng),
                    ReLU(), BatchNorm1d(channels: filters), MaxPool1d(kernelSize: 2, stride: 2),
                ]
                channels = filters
                length /= 2
            }
            layers += [
                Flatten(),
                Linear(inFeatures: channels * length, outFeatures: 512, rng: &rng), ReLU(),
                Dropout(rate: configuration.dropout, seed: seed &+ 0x5EED),
                Linear(inFeatures: 512, outFeatures: classCount, rng: &rng),
            ]
            return Sequential(layers)
        case .compact:
            return Sequential([
                Conv1d(inChannels: f, outChannels: 64, kernelSize: 5, padding: 2, rng: &rng),
                BatchNorm1d(channels: 64), ReLU(), MaxPool1d(kernelSize: 2),
                Conv1d(inChannels: 64, outChannels: 128, kernelSize: 5, padding: 2, rng: &rng),
                BatchNorm1d(channels: 128), ReLU(), MaxPool1d(kernelSize: 2),
                Conv1d(inChannels: 128, outChannels: 128, kernelSize: 3, padding: 1, rng: &rng),
                BatchNorm1d(channels: 128), ReLU(),
                GlobalAveragePool1d(),
                Dropout(rate: configuration.dropout, seed: seed &+ 0x5EED),
                Linear(inFeatures: 128, outFeatures: classCount, rng: &rng),
            ])
        }
    }
}
