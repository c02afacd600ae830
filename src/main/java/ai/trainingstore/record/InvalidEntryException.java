package ai.trainingstore.record;

import ai.trainingstore.kind.Rejection;
/** Thrown while parsing an entry that must go to the dead-letter stream. */
final class InvalidEntryException extends Exception {

    private final Rejection.Reason reason;

    InvalidEntryException(Rejection.Reason reason, String message) {
        super(message, null, false, false);
        this.reason = reason;
    }

    Rejection toRejection() {
        return new Rejection(reason, getMessage());
    }
}
