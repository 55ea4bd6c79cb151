// Extraction of knowledge from analysts' notes: secret scrubbing, the prompt and its answer
// schema, the sensitivity check, near-duplicate merging, one run over the changed notes, and
// the `memory:extract` job.
export { REDACTION_MARKER, SECRET_KINDS, hasSecret, scrubSecrets, type ScrubResult, type SecretKind } from './scrub.js';
export {
  CATALOG_CAP,
  EXTRACTION_SCHEMA_NAME,
  MAX_PART_CHARS,
  defuseMarkers,
  extractionAnswerSchema,
  newNonce,
  splitNote,
  systemPrompt,
  userMessage,
  type CatalogEntry,
  type ExtractedCandidate,
  type ExtractionAnswer,
  type PromptInput,
} from './prompt.js';
export { sensitivityVerdict, type CandidateText, type SensitivityVerdict } from './sensitivity.js';
export {
  DuplicateIndex,
  ENTITY_SIMILARITY,
  MERGE_SIMILARITY,
  MIN_SHARED_ENTITIES,
  entities,
  features,
  jaccard,
  judge,
  words,
  type DuplicateJudgement,
  type TextFeatures,
} from './dedupe.js';
export { runExtraction, type ExtractionOutcome, type ExtractionStore, type ExtractLogger, type RunExtractionOptions } from './run.js';
export { EXTRACT_JOB, defineExtractJob, type ExtractJob, type ExtractJobDeps } from './job.js';
