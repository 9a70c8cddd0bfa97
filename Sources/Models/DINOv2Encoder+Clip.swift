import Vision

extension DINOv2Encoder {
    /// A clip's `[frames, 384]` embedding matrix (frame-major), the input of `VideoHead`.
    ///
    /// `crops` holds one entry per sampled frame, nil where no face was found. Faces are encoded
    /// in one batch; a frame without a face takes the embedding of the nearest frame that has
    /// one (the earlier on a tie), so the head always sees a full, time-ordered matrix. Returns
    /// nil when no frame has a face.
    public func clipMatrix(crops: [RGBImage?], pooling: DINOv2Pooling = .cls) throws -> [Float]? {
        let present = crops.indices.filter { crops[$0] != nil }
        guard !present.isEmpty else { return nil }
        let embeddings = try encode(images: present.map { crops[$0]! })
        var matrix: [Float] = []
        matrix.reserveCapacity(crops.count * Self.width)
        for frame in crops.indices {
            // Nearest frame with a face; `min` keeps the first (earlier) one on a tie.
            let chosen = present.indices.min { abs(present[$0] - frame) < abs(present[$1] - frame) }!
            let embedding = embeddings[chosen]
            matrix += pooling == .cls ? embedding.cls : embedding.patchMean
        }
        return matrix
    }
}
