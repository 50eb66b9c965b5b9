package dev.creditmeter.byok;

import javax.crypto.Cipher;
import javax.crypto.Mac;
import javax.crypto.spec.IvParameterSpec;
import javax.crypto.spec.SecretKeySpec;
import java.nio.ByteBuffer;
import java.security.GeneralSecurityException;
import java.security.MessageDigest;
import java.security.SecureRandom;
import java.time.Instant;
import java.util.Arrays;
import java.util.Base64;

/**
 * One Fernet key (the published Fernet token format: version 0x80, 64-bit timestamp, 128-bit IV,
 * AES-128-CBC with PKCS#7 padding, HMAC-SHA256 over all of it, URL-safe base64), so that tokens made
 * by Python's {@code cryptography.fernet} decrypt here and the other way round. No TTL is applied.
 */
final class Fernet {

    private static final byte VERSION = (byte) 0x80;
    private static final int HEADER = 1 + 8 + 16;
    private static final int MAC_LENGTH = 32;
    private static final SecureRandom RANDOM = new SecureRandom();

    private final SecretKeySpec signingKey;
    private final SecretKeySpec encryptionKey;

    /** @param key 32 bytes in URL-safe base64, as {@code Fernet.generate_key()} makes them */
    Fernet(String key) {
        byte[] raw;
        try {
            raw = Base64.getUrlDecoder().decode(key.strip());
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("A Fernet key must be 32 bytes in URL-safe base64");
        }
        if (raw.length != 32) {
            throw new IllegalArgumentException("A Fernet key must be 32 bytes in URL-safe base64");
        }
        signingKey = new SecretKeySpec(Arrays.copyOfRange(raw, 0, 16), "HmacSHA256");
        encryptionKey = new SecretKeySpec(Arrays.copyOfRange(raw, 16, 32), "AES");
    }

    static String generateKey() {
        byte[] raw = new byte[32];
        RANDOM.nextBytes(raw);
        return Base64.getUrlEncoder().encodeToString(raw);
    }

    String encrypt(byte[] plaintext, Instant now) {
        byte[] iv = new byte[16];
        RANDOM.nextBytes(iv);
        try {
            Cipher aes = Cipher.getInstance("AES/CBC/PKCS5Padding");
            aes.init(Cipher.ENCRYPT_MODE, encryptionKey, new IvParameterSpec(iv));
            byte[] ciphertext = aes.doFinal(plaintext);
            ByteBuffer token = ByteBuffer.allocate(HEADER + ciphertext.length + MAC_LENGTH);
            token.put(VERSION).putLong(now.getEpochSecond()).put(iv).put(ciphertext);
            token.put(mac(token.array(), HEADER + ciphertext.length));
            return Base64.getUrlEncoder().encodeToString(token.array());
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("Fernet encryption failed", e);
        }
    }

    /** @throws InvalidTokenException when the token is malformed or was not made with this key */
    byte[] decrypt(String token) {
        byte[] raw;
        try {
            raw = Base64.getUrlDecoder().decode(token.strip());
        } catch (IllegalArgumentException e) {
            throw new InvalidTokenException();
        }
        if (raw.length < HEADER + 16 + MAC_LENGTH || raw[0] != VERSION || (raw.length - HEADER - MAC_LENGTH) % 16 != 0) {
            throw new InvalidTokenException();
        }
        int signed = raw.length - MAC_LENGTH;
        if (!MessageDigest.isEqual(mac(raw, signed), Arrays.copyOfRange(raw, signed, raw.length))) {
            throw new InvalidTokenException();
        }
        try {
            Cipher aes = Cipher.getInstance("AES/CBC/PKCS5Padding");
            aes.init(Cipher.DECRYPT_MODE, encryptionKey, new IvParameterSpec(raw, 9, 16));
            return aes.doFinal(raw, HEADER, signed - HEADER);
        } catch (GeneralSecurityException e) {
            throw new InvalidTokenException();
        }
    }

    private byte[] mac(byte[] data, int length) {
        try {
            Mac hmac = Mac.getInstance("HmacSHA256");
            hmac.init(signingKey);
            hmac.update(data, 0, length);
            return hmac.doFinal();
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("HMAC failed", e);
        }
    }

    /** A token that does not verify. Carries no detail: nothing about keys or plaintext leaks. */
    static final class InvalidTokenException extends RuntimeException {
        InvalidTokenException() {
            super("Invalid Fernet token", null, false, false);
        }
    }
}
