"""One-off measurement studies (not installed). Each writes its result under results/."""
