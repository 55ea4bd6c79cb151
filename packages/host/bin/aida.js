#!/usr/bin/env node
// A file that exists before the build, so npm links the `aida` command even on a fresh
// checkout whose dist/ is built afterwards by `prepare`.
import '../dist/cli.js';
