"""What the tests and benchmarks build their inputs and calls from: synthetic poses and skeletons, bad video
files, the test principals, REST and gRPC call helpers, a headless browser. Test modules import these, never
each other; the fixtures that start services stay in the conftest files. Not shipped in any image."""
