# emotiond — common tasks. `make help` lists them.
SWIFT ?= swift
PREFIX ?= /usr/local

APT_PACKAGES = libmosquitto-dev mosquitto mosquitto-clients libopenblas-dev \
  libavcodec-dev libavformat-dev libavutil-dev libswresample-dev libswscale-dev \
  libopencv-dev opencv-data libsqlite3-dev pkg-config ffmpeg

.PHONY: help deps build release test demo bench clean

help:
	@echo "make deps     install the Debian packages (needs root)"
	@echo "make release  release build of emotiond"
	@echo "make test     run every test (swift test)"
	@echo "make demo     release build, then classify the sample clips"
	@echo "make bench    release build, Swift vs Python reference benchmark -> BENCHMARKS.md"

deps:
	apt-get update -qq
	DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends $(APT_PACKAGES)

build:
	$(SWIFT) build

release:
	$(SWIFT) build -c release

test:
	$(SWIFT) test --disable-swift-testing

demo: release
	scripts/demo.sh

bench:
	bench/run.sh

clean:
	rm -rf .build
