<?php
// AIGate from PHP with the curl extension: who am I, search the library, get
// an image (library first), generate a video and poll its job, and the errors
// a client must handle: 402 (no credits), 403 (not in your tier) and 429
// (slow down: wait Retry-After seconds, then send the same request again).
//
//   AIGATE_API_KEY=sk-aigate-... [AIGATE_BASE_URL=http://127.0.0.1:8080] php php_curl.php

$base = rtrim(getenv('AIGATE_BASE_URL') ?: 'http://127.0.0.1:8080', '/');
$key = getenv('AIGATE_API_KEY');
if (!$key) {
    fwrite(STDERR, "set AIGATE_API_KEY to your sk-aigate-... key\n");
    exit(1);
}

// Sends one request; returns [status, decoded JSON body]. A 429 is waited out.
function api(string $method, string $path, ?array $body = null, ?string $idempotencyKey = null): array
{
    global $base, $key;
    $headers = ["Authorization: Bearer $key"];
    if ($body !== null) {
        $headers[] = 'Content-Type: application/json';
    }
    if ($idempotencyKey !== null) {
        $headers[] = "Idempotency-Key: $idempotencyKey";
    }
    for ($attempt = 0; $attempt < 5; $attempt++) {
        $retryAfter = 1;
        $ch = curl_init($base . $path);
        curl_setopt_array($ch, [
            CURLOPT_CUSTOMREQUEST => $method,
            CURLOPT_HTTPHEADER => $headers,
            CURLOPT_RETURNTRANSFER => true,
            CURLOPT_TIMEOUT => 120,
            CURLOPT_HEADERFUNCTION => function ($ch, $line) use (&$retryAfter) {
                if (preg_match('/^retry-after:\s*(\d+)/i', $line, $m)) {
                    $retryAfter = (int) $m[1];
                }
                return strlen($line);
            },
        ]);
        if ($body !== null) {
            curl_setopt($ch, CURLOPT_POSTFIELDS, json_encode($body));
        }
        $raw = curl_exec($ch);
        if ($raw === false) {
            fwrite(STDERR, 'error: ' . curl_error($ch) . "\n");
            exit(1);
        }
        $status = curl_getinfo($ch, CURLINFO_RESPONSE_CODE);
        curl_close($ch);
        if ($status !== 429) {
            break;
        }
        echo "429: retried after $retryAfter s\n";
        sleep($retryAfter);
    }
    return [$status, json_decode($raw, true)];
}

function fail(int $status, array $body): void
{
    fwrite(STDERR, "error: $status {$body['error']}: {$body['message']}\n");
    exit(1);
}

// A 402 or 403 is part of the flow; anything else is a failure.
function handled(string $what, int $status, array $body): void
{
    if ($status === 402) {
        echo "$what: 402 insufficient_credits handled (needs {$body['credits_needed']}, "
            . "have {$body['credits_balance']}; {$body['hint']})\n";
    } elseif ($status === 403) {
        echo "$what: 403 {$body['error']} handled (needs the {$body['required_tier']} tier)\n";
    } else {
        fail($status, $body);
    }
}

function newIdempotencyKey(): string
{
    return bin2hex(random_bytes(16));
}

[$status, $me] = api('GET', '/api/v1/me');
if ($status !== 200) {
    fail($status, $me);
}
echo "me: {$me['email']} tier={$me['tier']} balance={$me['credits_balance']}\n";

[$status, $found] = api('GET', '/api/v1/search?q=sunset&type=image&limit=5');
if ($status !== 200) {
    fail($status, $found);
}
$first = $found['items'] ? " (first: {$found['items'][0]['title']})" : '';
echo "search: {$found['total']} results for \"sunset\"$first\n";

// One Idempotency-Key per generation: a retry can never charge twice.
[$status, $image] = api('POST', '/api/v1/generate/image',
    ['prompt' => 'golden sunset over the ocean', 'aspect_ratio' => '16:9'], newIdempotencyKey());
if ($status === 200) {
    echo "image: {$image['asset']['url']} (source={$image['source']}, charged={$image['credits_charged']})\n";
} else {
    handled('image', $status, $image);
}

[$status, $video] = api('POST', '/api/v1/generate/video',
    ['prompt' => 'a paper boat drifting down a rainy street', 'aspect_ratio' => '16:9'],
    newIdempotencyKey());
if ($status === 200) {
    echo "video: {$video['asset']['url']} (source={$video['source']}, charged={$video['credits_charged']})\n";
} elseif ($status === 202) {
    $job = $video['job'];
    echo "video: job {$job['id']} {$job['status']}, polling\n";
    for ($i = 0; $i < 300 && in_array($job['status'], ['queued', 'running'], true); $i++) {
        sleep(1);
        [$status, $polled] = api('GET', "/api/v1/jobs/{$job['id']}");
        if ($status !== 200) {
            fail($status, $polled);
        }
        $job = $polled['job'];
    }
    if ($job['status'] === 'succeeded') {
        echo "video: job {$job['id']} succeeded: {$job['asset']['url']}\n";
    } else {
        $reason = $job['error']['message'] ?? 'no result';
        echo "video: job {$job['id']} {$job['status']}: $reason\n";
    }
} else {
    handled('video', $status, $video);
}

[$status, $me] = api('GET', '/api/v1/me');
if ($status !== 200) {
    fail($status, $me);
}
echo "done: balance={$me['credits_balance']}\n";
