import { describe, expect, it } from 'vitest';
import { AidaError, defineError, InputError, isAidaError, isErrorClass, NotFoundError, StartupError, ValidationError } from '../src/index.js';

describe('defineError', () => {
  it('makes a class whose instances carry its code and status, a detail and a cause', () => {
    const SlowError = defineError('EXAMPLE_TOO_SLOW', 503, 'The example source is too slow');
    const cause = new Error('socket timeout');
    const e = new SlowError('took 31 s', { detail: { seconds: 31 }, cause });
    expect(e).toBeInstanceOf(AidaError);
    expect(e).toBeInstanceOf(Error);
    expect(e).toMatchObject({ code: 'EXAMPLE_TOO_SLOW', status: 503, message: 'took 31 s', detail: { seconds: 31 }, name: 'ExampleTooSlowError' });
    expect(e.cause).toBe(cause);
    expect(new SlowError()).toMatchObject({ message: 'The example source is too slow', detail: null });
    expect([SlowError.code, SlowError.status, SlowError.defaultMessage]).toEqual(['EXAMPLE_TOO_SLOW', 503, 'The example source is too slow']);
    expect(isAidaError(e)).toBe(true);
    expect(isErrorClass(SlowError)).toBe(true);
    expect(isErrorClass(Error)).toBe(false);
  });

  it('derives from a base kind: the base constructor, and instanceof the base', () => {
    const TicketNotFoundError = defineError('EXAMPLE_TICKET_NOT_FOUND', 404, 'No such ticket', NotFoundError);
    const BadKeyError = defineError('EXAMPLE_BAD_KEY', 400, 'Not a ticket key', InputError);
    expect(new TicketNotFoundError()).toBeInstanceOf(NotFoundError);
    const bad = new BadKeyError(undefined, { field: 'key' });
    expect(bad).toBeInstanceOf(InputError);
    expect(bad).toMatchObject({ code: 'EXAMPLE_BAD_KEY', status: 400, detail: { issues: [{ field: 'key', message: 'Not a ticket key' }] } });
  });

  it('refuses a code that is not upper-case words joined by _', () => {
    expect(() => defineError('example-oops', 500, 'x')).toThrow(/Invalid error code "example-oops"/);
    expect(() => defineError('OOPS', 500, 'x')).toThrow(/Invalid error code/);
  });
});

describe('the general kinds', () => {
  it('ValidationError is an InputError with the same code, answered 422', () => {
    const e = new ValidationError('name must not be empty', { field: 'name' });
    expect(e).toBeInstanceOf(InputError);
    expect(e).toMatchObject({ code: 'AIDA_INPUT_INVALID', status: 422, detail: { issues: [{ field: 'name', message: 'name must not be empty' }] } });
    expect(new InputError('x').status).toBe(400);
  });

  it('StartupError takes a cause, so the original stack survives', () => {
    const cause = new Error('boom');
    const e = new StartupError('plugin x failed', { cause });
    expect(e).toMatchObject({ code: 'AIDA_STARTUP_FAILED', status: 500 });
    expect(e.cause).toBe(cause);
  });
});
