package ai.trainingstore.dataset;

import java.math.BigDecimal;
import java.math.BigInteger;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;

/**
 * The deterministic split of the contract (section 6.1): u = the first 8 bytes of SHA-256 of
 * {@code <seed>:<id>} as an unsigned big-endian integer divided by 2^64; {@code test} when
 * u &lt; test_fraction, else {@code validation} when u &lt; test_fraction + validation_fraction,
 * else {@code train}. It depends on the id alone, so a conversation never changes split as data
 * grows. Compared exactly (no rounding of u), so every implementation of the rule agrees.
 */
public record SplitRule(double validationFraction, double testFraction, String seed) {

    public static final SplitRule DEFAULT = new SplitRule(0.1, 0, "0");
    private static final BigDecimal TWO_TO_64 = new BigDecimal(BigInteger.ONE.shiftLeft(64));

    public enum Split {
        TRAIN, VALIDATION, TEST;

        public String id() {
            return name().toLowerCase(java.util.Locale.ROOT);
        }
    }

    public Split of(String id) {
        byte[] hash = sha256((seed + ":" + id).getBytes(StandardCharsets.UTF_8));
        BigDecimal u = new BigDecimal(new BigInteger(1, java.util.Arrays.copyOf(hash, 8)));
        if (u.compareTo(new BigDecimal(testFraction).multiply(TWO_TO_64)) < 0) {
            return Split.TEST;
        }
        if (u.compareTo(new BigDecimal(testFraction).add(new BigDecimal(validationFraction)).multiply(TWO_TO_64)) < 0) {
            return Split.VALIDATION;
        }
        return Split.TRAIN;
    }

    private static byte[] sha256(byte[] bytes) {
        try {
            return MessageDigest.getInstance("SHA-256").digest(bytes);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("every Java runtime has SHA-256", e);
        }
    }
}
