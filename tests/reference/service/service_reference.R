# Golden values for asn_research.service (synthetic data only).
#
# Run from this folder:  Rscript service_reference.R
# Reads skm_respondents.csv and series.csv (made by make_service_data.py) and writes
# service_golden.csv in long format: case, group, term, statistic, value (17 digits).
#
# Independent implementations:
#   * IKM, element NRR and element-minus-mean: the `survey` package (svydesign(ids = ~1),
#     svytotal + svycontrast, svyratio): a design-based linearization written by others.
#   * Mann-Kendall / Sen: written here by hand in base R following the definitions and the
#     conventions of trend::sens.slope and Kendall::MannKendall (those packages are not
#     installed); tau-b from base R's cor(method = "kendall").
#   * Newey-West and Driscoll-Kraay: sandwich::NeweyWest and sandwich::vcovPL with lmtest.
#   * Channel gap: written here by hand in base R.

suppressPackageStartupMessages({
  library(survey)
  library(sandwich)
  library(lmtest)
})
options(digits = 17)

elements <- c("persyaratan", "prosedur", "waktu", "biaya", "produk", "kompetensi",
              "perilaku", "pengaduan", "sarana")
out <- list()
put <- function(case, group, term, statistic, value) {
  out[[length(out) + 1]] <<- data.frame(case = case, group = group, term = term,
                                        statistic = statistic,
                                        value = format(value, digits = 17))
}

# ------------------------------------------------------------------ IKM (survey package)
skm <- read.csv("skm_respondents.csv", na.strings = "NA", stringsAsFactors = FALSE)
skm <- skm[rowSums(!is.na(skm[, elements])) > 0, ]   # respondents who answered nothing
for (unit in sort(unique(skm$service_unit))) {
  for (wave in sort(unique(skm$wave))) {
    sub <- skm[skm$service_unit == unit & skm$wave == wave, ]
    used <- elements[colSums(!is.na(sub[, elements])) > 0]
    J <- length(used)
    d <- data.frame(one = rep(1, nrow(sub)))
    for (e in used) {
      d[[paste0("x_", e)]] <- ifelse(is.na(sub[[e]]), 0, sub[[e]])
      d[[paste0("r_", e)]] <- as.numeric(!is.na(sub[[e]]))
    }
    des <- svydesign(ids = ~1, weights = ~one, data = d)
    tot <- svytotal(as.formula(paste("~", paste(c(paste0("x_", used), paste0("r_", used)),
                                                 collapse = "+"))), des)
    g <- paste(unit, wave, sep = ".")
    ratio_sum <- paste0("(", paste(paste0("x_", used, "/r_", used), collapse = "+"), ")")
    for (w in c("exact", "legacy")) {
      wexpr <- if (w == "exact") paste0("25/", J) else "25*0.111"
      con <- svycontrast(tot, parse(text = paste(wexpr, "*", ratio_sum))[[1]])
      put("ikm", g, w, "estimate", as.numeric(coef(con)))
      put("ikm", g, w, "se", as.numeric(SE(con)))
      put("ikm", g, w, "df", degf(des))
    }
    put("ikm", g, "exact", "n_obs", nrow(sub))
    put("ikm", g, "exact", "k_elements", J)
    mean_expr <- paste0("(", paste(paste0("x_", used, "/r_", used), collapse = "+"), ")/", J)
    for (e in used) {
      r <- svyratio(as.formula(paste0("~x_", e)), as.formula(paste0("~r_", e)), des)
      put("nrr", g, e, "estimate", as.numeric(coef(r)))
      put("nrr", g, e, "se", as.numeric(SE(r)))
      dif <- svycontrast(tot, parse(text = paste0("x_", e, "/r_", e, " - ", mean_expr))[[1]])
      put("element_minus_mean", g, e, "estimate", as.numeric(coef(dif)))
      put("element_minus_mean", g, e, "se", as.numeric(SE(dif)))
    }
  }
}

# ------------------------------------------------------------------ channel gap (by hand)
score <- 25 * rowMeans(skm[, elements], na.rm = TRUE)
cells <- unique(skm[, c("service_unit", "wave")])
cells <- cells[order(cells$service_unit, cells$wave), ]
d_c <- n_on <- n_off <- v_on <- v_off <- c()
for (k in seq_len(nrow(cells))) {
  m <- skm$service_unit == cells$service_unit[k] & skm$wave == cells$wave[k]
  on <- score[m & skm$channel == "online"]
  off <- score[m & skm$channel == "walk_in"]
  if (length(on) == 0 || length(off) == 0) next
  d_c <- c(d_c, mean(on) - mean(off))
  n_on <- c(n_on, length(on)); n_off <- c(n_off, length(off))
  v_on <- c(v_on, if (length(on) > 1) var(on) else NA)
  v_off <- c(v_off, if (length(off) > 1) var(off) else NA)
}
pool <- function(v, n) { ok <- n > 1; sum(v[ok] * (n[ok] - 1)) / sum(n[ok] - 1) }
v_on[is.na(v_on)] <- pool(v_on, n_on)
v_off[is.na(v_off)] <- pool(v_off, n_off)
w <- n_on / sum(n_on)
gap <- sum(w * d_c)
gap_se <- sqrt(sum(w^2 * (v_on / n_on + v_off / n_off)))
gap_df <- sum(n_on + n_off - 2)
put("channel_gap", "all", "gap", "estimate", gap)
put("channel_gap", "all", "gap", "se", gap_se)
put("channel_gap", "all", "gap", "df", gap_df)
put("channel_gap", "all", "gap", "p_value", 2 * pt(abs(gap / gap_se), gap_df, lower.tail = FALSE))
put("channel_gap", "all", "gap", "ci_low", gap - qt(0.975, gap_df) * gap_se)

# ------------------------------------------------------------------ Mann-Kendall and Sen
mk_sen <- function(y, t, conf = 0.95) {
  n <- length(y)
  s <- 0
  slopes <- c()
  for (i in 1:(n - 1)) for (j in (i + 1):n) {
    s <- s + sign(y[j] - y[i])
    slopes <- c(slopes, (y[j] - y[i]) / (t[j] - t[i]))
  }
  tp <- as.numeric(table(y))
  var_s <- (n * (n - 1) * (2 * n + 5) - sum(tp * (tp - 1) * (2 * tp + 5))) / 18
  z <- sign(s) * (abs(s) - 1) / sqrt(var_s)
  k <- length(slopes)
  C <- qnorm(1 - (1 - conf) / 2) * sqrt(var_s)
  rank_d <- sort(slopes)
  b <- median(slopes)
  list(s = s, var_s = var_s, tau = cor(t, y, method = "kendall"), z = z,
       p_value = 2 * pnorm(abs(z), lower.tail = FALSE), estimate = b,
       ci_low = rank_d[round((k - C) / 2)], ci_high = rank_d[round((k + C) / 2 + 1)],
       intercept = median(y - b * t))
}
ser <- read.csv("series.csv", stringsAsFactors = FALSE)
for (unit in sort(unique(ser$unit))) {
  s <- ser[ser$unit == unit, ]
  s <- s[order(s$time), ]
  for (col in c("value", "value_tied")) {
    for (conf in c(0.95, 0.90)) {
      r <- mk_sen(s[[col]], s$time, conf)
      for (nm in names(r)) put(paste0("mk_", col, "_", conf), unit, "trend", nm, r[[nm]])
    }
  }
}

# ------------------------------------------------------------------ Newey-West ITS and trend
nw_rows <- function(fit, case, group, lag, terms, adjust = FALSE) {
  v <- NeweyWest(fit, lag = lag, prewhite = FALSE, adjust = adjust)
  ct <- coeftest(fit, vcov. = v)
  ci <- coefci(fit, vcov. = v, level = 0.95)
  for (i in seq_along(terms)) {
    put(case, group, terms[i], "estimate", ct[i, 1])
    put(case, group, terms[i], "se", ct[i, 2])
    put(case, group, terms[i], "statistic", ct[i, 3])
    put(case, group, terms[i], "p_value", ct[i, 4])
    put(case, group, terms[i], "ci_low", ci[i, 1])
    put(case, group, terms[i], "ci_high", ci[i, 2])
    put(case, group, terms[i], "df", fit$df.residual)
  }
}
idul_fitri <- as.Date(c("2023-04-22", "2024-04-10", "2025-03-31", "2026-03-21"))
lebaran_months <- format(idul_fitri, "%Y-%m")
seasonal_matrix <- function(month) {
  moy <- factor(as.integer(substr(month, 6, 7)), levels = 1:12)
  m <- model.matrix(~moy)[, -1, drop = FALSE]
  m <- cbind(m, lebaran = as.numeric(month %in% lebaran_months))
  scale(m, center = TRUE, scale = FALSE)
}
its_terms <- c("counterfactual_at_start", "trend", "level_change", "slope_change")
for (unit in c("s_a", "s_b")) {
  s <- ser[ser$unit == unit, ]
  s <- s[order(s$time), ]
  tc <- s$time - s$start
  post <- as.numeric(tc >= 0)
  tss <- tc * post
  fit <- lm(s$value ~ tc + post + tss)
  for (lag in c(3, 5)) nw_rows(fit, paste0("its_nw", lag), unit, lag, its_terms)
  nw_rows(fit, "its_nw3_adjust", unit, 3, its_terms, adjust = TRUE)
  sm <- seasonal_matrix(s$month)
  fit_s <- lm(s$value ~ tc + post + tss + sm)
  nw_rows(fit_s, "its_nw3_seasonal", unit, 3, its_terms)
}
for (unit in c("s_c", "s_d")) {
  s <- ser[ser$unit == unit, ]
  s <- s[order(s$time), ]
  tt <- s$time - min(s$time)
  nw_rows(lm(s$value ~ tt), "trend_nw3", unit, 3, c("intercept", "trend"))
  sm <- seasonal_matrix(s$month)
  nw_rows(lm(s$value ~ tt + sm), "trend_nw3_seasonal", unit, 3, c("intercept", "trend"))
}
# Controlled ITS: treated minus the mean of the comparison units s_c, s_d.
ctrl <- aggregate(value ~ time, data = ser[ser$unit %in% c("s_c", "s_d"), ], FUN = mean)
for (unit in c("s_a", "s_b")) {
  s <- ser[ser$unit == unit, ]
  s <- s[order(s$time), ]
  dlt <- s$value - ctrl$value[match(s$time, ctrl$time)]
  tc <- s$time - s$start
  post <- as.numeric(tc >= 0)
  nw_rows(lm(dlt ~ tc + post + I(tc * post)), "controlled_its_nw3", unit, 3, its_terms)
}

# ------------------------------------------------------------------ Driscoll-Kraay (vcovPL)
ser <- ser[order(ser$unit, ser$time), ]
ser$tt <- ser$time - min(ser$time)
ser$post <- ifelse(is.na(ser$start), 0, as.numeric(ser$time >= ser$start))
ser$tss <- ifelse(is.na(ser$start), 0, (ser$time - ser$start) * ser$post)
dk_rows <- function(fit, case, terms, adjust = FALSE) {
  v <- vcovPL(fit, cluster = ~unit, order.by = ~time, lag = 3, adjust = adjust)
  T <- length(unique(ser$time))
  for (nm in names(terms)) {
    est <- coef(fit)[[terms[[nm]]]]
    se <- sqrt(v[terms[[nm]], terms[[nm]]])
    put(case, "all", nm, "estimate", est)
    put(case, "all", nm, "se", se)
    put(case, "all", nm, "p_value", 2 * pt(abs(est / se), T - 1, lower.tail = FALSE))
    put(case, "all", nm, "ci_high", est + qt(0.975, T - 1) * se)
  }
  v
}
fit_p <- lm(value ~ 0 + factor(unit) + factor(unit):tt + post + tss, data = ser)
invisible(dk_rows(fit_p, "pooled_its_dk3", list(level_change = "post", slope_change = "tss")))
fit_c <- lm(value ~ 0 + factor(unit) + tt + post + tss, data = ser)
invisible(dk_rows(fit_c, "pooled_its_common_trend_dk3", list(level_change = "post", slope_change = "tss")))
invisible(dk_rows(fit_p, "pooled_its_dk3_adjust", list(level_change = "post", slope_change = "tss"),
                  adjust = TRUE))
# Seasonality: pooled, a level and a trend per unit, month effects as deviations from the
# average month (sum to zero), the Lebaran month.
sm <- seasonal_matrix(ser$month)
fit_season <- lm(value ~ 0 + factor(unit) + factor(unit):tt + sm, data = ser)
v <- vcovPL(fit_season, cluster = ~unit, order.by = ~time, lag = 3, adjust = FALSE)
idx <- grep("^sm", names(coef(fit_season)))
b <- coef(fit_season)[idx]
vb <- v[idx, idx]
A <- rbind(0, diag(11))
A <- sweep(A, 2, colMeans(A))
delta <- A %*% b[1:11]
vdelta <- A %*% vb[1:11, 1:11] %*% t(A)
for (m in 1:12) {
  put("seasonality_dk3", "all", sprintf("month_%02d", m), "estimate", delta[m])
  put("seasonality_dk3", "all", sprintf("month_%02d", m), "se", sqrt(vdelta[m, m]))
}
put("seasonality_dk3", "all", "lebaran", "estimate", b[12])
put("seasonality_dk3", "all", "lebaran", "se", sqrt(vb[12, 12]))
fstat <- as.numeric(t(b[1:11]) %*% solve(vb[1:11, 1:11]) %*% b[1:11]) / 11
put("seasonality_dk3", "all", "month_of_year", "statistic", fstat)
put("seasonality_dk3", "all", "month_of_year", "p_value",
    pf(fstat, 11, length(unique(ser$time)) - 1, lower.tail = FALSE))

# ------------------------------------------------------------------ classical and "max" SEs
# se = "classical": vcov(lm); se = "max": per coefficient the larger of the classical SE and
# the HAC SE with the small-sample factor (NeweyWest / vcovPL with adjust = TRUE).
se_rows <- function(fit, case, group, terms, se, df) {
  b <- coef(fit)
  for (i in seq_along(terms)) {
    put(case, group, terms[i], "estimate", b[[i]])
    put(case, group, terms[i], "se", se[[i]])
    put(case, group, terms[i], "p_value", 2 * pt(abs(b[[i]] / se[[i]]), df, lower.tail = FALSE))
    put(case, group, terms[i], "ci_low", b[[i]] - qt(0.975, df) * se[[i]])
    put(case, group, terms[i], "ci_high", b[[i]] + qt(0.975, df) * se[[i]])
  }
}
pmax_se <- function(fit, v_hac) pmax(sqrt(diag(vcov(fit))), sqrt(diag(v_hac)))
for (unit in c("s_a", "s_b")) {
  s <- ser[ser$unit == unit, ]
  s <- s[order(s$time), ]
  tc <- s$time - s$start
  post <- as.numeric(tc >= 0)
  tss <- tc * post
  fit <- lm(s$value ~ tc + post + tss)
  se_rows(fit, "its_classical", unit, its_terms, sqrt(diag(vcov(fit))), fit$df.residual)
  sm <- seasonal_matrix(s$month)
  fit_s <- lm(s$value ~ tc + post + tss + sm)
  v <- NeweyWest(fit_s, lag = 3, prewhite = FALSE, adjust = TRUE)
  se_rows(fit_s, "its_max_seasonal", unit, its_terms, pmax_se(fit_s, v), fit_s$df.residual)
  dlt <- s$value - ctrl$value[match(s$time, ctrl$time)]
  fit_d <- lm(dlt ~ tc + post + I(tc * post))
  v <- NeweyWest(fit_d, lag = 3, prewhite = FALSE, adjust = TRUE)
  se_rows(fit_d, "controlled_its_max", unit, its_terms, pmax_se(fit_d, v), fit_d$df.residual)
}
for (unit in c("s_c", "s_d")) {
  s <- ser[ser$unit == unit, ]
  s <- s[order(s$time), ]
  tt <- s$time - min(s$time)
  sm <- seasonal_matrix(s$month)
  fit_t <- lm(s$value ~ tt + sm)
  v <- NeweyWest(fit_t, lag = 3, prewhite = FALSE, adjust = TRUE)
  se_rows(fit_t, "trend_max_seasonal", unit, c("intercept", "trend"), pmax_se(fit_t, v),
          fit_t$df.residual)
}
sm <- seasonal_matrix(ser$month)
fit_ps <- lm(value ~ 0 + factor(unit) + factor(unit):tt + post + tss + sm, data = ser)
v <- vcovPL(fit_ps, cluster = ~unit, order.by = ~time, lag = 3, adjust = TRUE)
se_all <- pmax_se(fit_ps, v)
T <- length(unique(ser$time))
for (nm in c("post", "tss")) {
  term <- c(post = "level_change", tss = "slope_change")[[nm]]
  est <- coef(fit_ps)[[nm]]
  put("pooled_its_max_seasonal", "all", term, "estimate", est)
  put("pooled_its_max_seasonal", "all", term, "se", se_all[[nm]])
  put("pooled_its_max_seasonal", "all", term, "p_value",
      2 * pt(abs(est / se_all[[nm]]), T - 1, lower.tail = FALSE))
  put("pooled_its_max_seasonal", "all", term, "ci_high", est + qt(0.975, T - 1) * se_all[[nm]])
}

res <- do.call(rbind, out)
write.csv(res, "service_golden.csv", row.names = FALSE)
cat("wrote", nrow(res), "golden values\n")
