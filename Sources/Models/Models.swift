// Models module: see Package.swift for its concern.
