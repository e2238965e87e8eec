# The two commands in the README: `make demo` runs the main job on a shipped input,
# `make test` runs the tests. Both install what they need first (Debian packages, the
# ONNX Runtime library from its PyPI wheel); re-running skips what is already there.

.PHONY: demo test setup bench

setup:
	bash scripts/install-deps.sh
	bash scripts/install-onnxruntime.sh

demo: setup
	cargo build --release
	mkdir -p out
	./target/release/posture landmarks fixtures/cameraman.png --annotate out --output out/cameraman.jsonl
	@echo "landmarks: out/cameraman.jsonl; annotated picture: out/cameraman.png"

test: setup
	cargo test --release

bench: setup
	cargo bench --bench pipeline
