// Ticks as a test receives them: the next few, each checked, and the gaps
// between them (what the step tests of the send loops assert on).
#pragma once

#include "tick.hpp"
#include "ws.hpp"

#include "catch_compat.hpp"

#include <chrono>
#include <vector>

namespace wstest {

// The next `count` messages, each a well-formed text tick arriving within `each_within`.
inline std::vector<WsMessage> receive_ticks(WsClient& client, int count, milliseconds each_within) {
    std::vector<WsMessage> messages;
    for (int i = 0; i < count; ++i) {
        auto message = client.next_message(each_within);
        INFO("waiting for message " << i + 1 << " of " << count);
        REQUIRE(message);
        INFO("message: " << message->payload);
        CHECK(message->is_text);
        CHECK(is_tick(message->payload));
        messages.push_back(*message);
    }
    return messages;
}

// Every gap between consecutive messages within [shortest, longest]: a gap far
// below an interval is a burst, one far above it a stall.
inline void check_gaps(const std::vector<WsMessage>& messages, milliseconds shortest,
                       milliseconds longest) {
    for (std::size_t i = 1; i < messages.size(); ++i) {
        const auto gap =
            std::chrono::duration_cast<milliseconds>(messages[i].received - messages[i - 1].received);
        INFO("gap before message " << i + 1 << ": " << gap.count() << " ms");
        CHECK(gap >= shortest);
        CHECK(gap <= longest);
    }
}

}  // namespace wstest
