# The two commands in the README: `make demo` runs the main job on a shipped input,
# `make test` runs the tests. Both install what they need first (Debian packages, the
# ONNX Runtime library from its PyPI wheel); re-running skips what is already there.

.PHONY: demo test setup bench

setup:
	bash scripts/install-deps.sh
	bash scripts/install-onnxruntime.sh

# A seated side view rendered with a known craniovertebral angle of 40.0 degrees
# (fixtures/renders/truth.json), measured as one line and as JSON.
DEMO_INPUT = fixtures/renders/s030_side_seated_male_heavy_fhp-moderate_R_yawm5_level.jpg

demo: setup
	cargo build --release
	./target/release/posture measure $(DEMO_INPUT)
	./target/release/posture measure --json $(DEMO_INPUT)

test: setup
	cargo test --release

bench: setup
	cargo bench --bench pipeline
