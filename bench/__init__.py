"""mnx bench: measures artifacts — timing harness, accuracy, result records, reports and plots."""
