#!/usr/bin/env node
// A file that exists before the build, so npm links the `da` command even on a fresh
// checkout whose dist/ is built afterwards by `prepare`.
import '../dist/main.js';
