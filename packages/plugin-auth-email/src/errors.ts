/** The email sign-in plugin's error catalogue; docs/errors.md lists each code. */
import { AuthenticationError, defineError } from '@aida/core';

export const InvalidSignInLinkError = defineError(
  'AIDA_INVALID_SIGN_IN_LINK',
  401,
  'This sign-in link is invalid, expired or already used',
  AuthenticationError,
);
