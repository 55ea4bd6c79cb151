/**
 * The corporate memory's error catalogue: the codes clients tell apart, each defined once.
 * docs/errors.md lists them. Bad input (a vote of 2, an unknown batch action) is the general
 * `AIDA_INPUT_INVALID`, from the routes' schemas. The LLM errors (`LLM_*`) are core's.
 */
import { ConflictError, defineError, NotFoundError } from '@aida/core';

/** No item with that id, or one the caller may not see (someone else's personal item): the same answer, so ids do not leak. */
export const MemoryItemNotFoundError = defineError('MEMORY_ITEM_NOT_FOUND', 404, 'No such knowledge item', NotFoundError);

/** A governance action that does not apply to the item's current status (approving an approved item, revoking a pending one). */
export const MemoryTransitionError = defineError('MEMORY_TRANSITION_INVALID', 409, "This action does not apply to the item's current status", ConflictError);
