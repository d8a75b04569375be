# Golden values for the Wilson interval of asn_research.scales.item_distribution:
# R's prop.test without continuity correction returns the Wilson score interval.
#
# Writes wilson_ci_golden.csv  (n, n_obs, confidence, ci_low, ci_high; 17 significant digits)
# Run from this folder:  Rscript wilson_ci.R   (not run by the test suite)

cases <- data.frame(
  n = c(0, 1, 5, 10, 37, 37, 3, 199),
  n_obs = c(10, 10, 10, 10, 140, 140, 7, 200),
  confidence = c(0.95, 0.95, 0.95, 0.95, 0.95, 0.90, 0.99, 0.95)
)
fmt <- function(x) sprintf("%.17g", x)
lo <- hi <- character(nrow(cases))
for (i in seq_len(nrow(cases))) {
  ci <- suppressWarnings(prop.test(cases$n[i], cases$n_obs[i], conf.level = cases$confidence[i],
                                   correct = FALSE)$conf.int)
  lo[i] <- fmt(ci[1])
  hi[i] <- fmt(ci[2])
}
out <- data.frame(n = cases$n, n_obs = cases$n_obs, confidence = cases$confidence,
                  ci_low = lo, ci_high = hi)
write.csv(out, "wilson_ci_golden.csv", row.names = FALSE, quote = FALSE)
cat(R.version.string, "\n")
