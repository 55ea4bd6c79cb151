// The fake stack's fixed credentials and signatures: the Storage API routes hand them out and
// the object servers check them. FAKE_SECRETS lists the ones no log or error may ever contain.

export const S3_BUCKET = 'kbc-sapi-files';
export const ACCESS_KEY_ID = 'ASIAFAKEKEYID0001';
export const SECRET_ACCESS_KEY = 'fake-secret-access-key-do-not-log';
export const SESSION_TOKEN = 'fake-session-token-do-not-log';
export const GCS_TOKEN = 'ya29.fake-gcs-access-token-do-not-log';
export const SAS = 'sv=2020-08-04&ss=b&srt=sco&sp=rl&se=2030-01-01T00%3A00%3A00Z&sig=fakeAzureSigDoNotLog';
export const SIGNATURE = 'fakeSignatureDoNotLog';

export const FAKE_SECRETS = [SECRET_ACCESS_KEY, SESSION_TOKEN, GCS_TOKEN, 'fakeAzureSigDoNotLog', SIGNATURE];
