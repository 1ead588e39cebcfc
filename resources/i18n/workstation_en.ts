<?xml version="1.0" encoding="utf-8"?>
<!DOCTYPE TS>
<TS version="2.1" language="en" sourcelanguage="en">
<context>
    <name>AboutDialog</name>
    <message>
        <source>About Workstation</source>
        <translation>About Workstation</translation>
    </message>
    <message>
        <source>Customer-service workstation for online shops.</source>
        <translation>Customer-service workstation for online shops.</translation>
    </message>
    <message>
        <source>Version:</source>
        <translation>Version:</translation>
    </message>
    <message>
        <source>Qt:</source>
        <translation>Qt:</translation>
    </message>
    <message>
        <source>Python:</source>
        <translation>Python:</translation>
    </message>
    <message>
        <source>System:</source>
        <translation>System:</translation>
    </message>
    <message>
        <source>Data folder:</source>
        <translation>Data folder:</translation>
    </message>
    <message>
        <source>Log folder:</source>
        <translation>Log folder:</translation>
    </message>
    <message>
        <source>Copy details</source>
        <translation>Copy details</translation>
    </message>
</context>
<context>
    <name>AgentStatusMenu</name>
    <message>
        <source>Receiving buyers</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Paused (no new buyers)</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Away</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Chat status</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>The chat status could not be changed</source>
        <translation type="unfinished"></translation>
    </message>
</context>
<context>
    <name>App</name>
    <message>
        <source>Workstation</source>
        <translation>Workstation</translation>
    </message>
    <message>
        <source>The language changes at the next start.</source>
        <translation>The language changes at the next start.</translation>
    </message>
    <message>
        <source>Workstation is already running but does not respond. Wait a moment, or end it in the Task Manager, then start it again.</source>
        <translation>Workstation is already running but does not respond. Wait a moment, or end it in the Task Manager, then start it again.</translation>
    </message>
</context>
<context>
    <name>BuyerOrdersPane</name>
    <message>
        <source>Enter or a click opens the order, with its remark</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>The buyer&apos;s orders could not be read: %1</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Open a conversation to see the buyer&apos;s orders</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>%1 · %2 orders, newest first</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>No cached orders of this buyer</source>
        <translation type="unfinished"></translation>
    </message>
</context>
<context>
    <name>Connection</name>
    <message>
        <source>Online</source>
        <translation>Online</translation>
    </message>
    <message>
        <source>Syncing</source>
        <translation>Syncing</translation>
    </message>
    <message>
        <source>Connecting</source>
        <translation>Connecting</translation>
    </message>
    <message>
        <source>Offline</source>
        <translation>Offline</translation>
    </message>
    <message>
        <source>Session expired</source>
        <translation>Session expired</translation>
    </message>
    <message>
        <source>Signed out</source>
        <translation>Signed out</translation>
    </message>
</context>
<context>
    <name>ConversationPane</name>
    <message>
        <source>The reply could not be saved</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>The reply could not be sent</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>The reply could not be discarded</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>The conversation could not be taken</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>The conversation could not be closed</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>The conversation could not be reopened</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>The conversation could not be transferred</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Not connected to a cache</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>The conversation could not be marked read</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>The conversation could not be read: %1</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>%1 found</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Not found</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>No conversation open</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Loading…</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Buyer %1</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Open</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Closed</source>
        <translation type="unfinished">Closed</translation>
    </message>
    <message>
        <source>me</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>%1 · with %2</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>%1 · unassigned</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>The conversation is closed: reopen it to reply</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Reply… (Enter sends, Shift+Enter new line)</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>%1 is typing…</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>%1 is viewing</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Take</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Take this conversation</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Transfer…</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Hand it to a colleague, with a note</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Close</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>End the conversation</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Reopen</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Search this conversation</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Send</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Send (Enter)</source>
        <translation type="unfinished"></translation>
    </message>
</context>
<context>
    <name>CrashDialog</name>
    <message>
        <source>Workstation: unexpected error</source>
        <translation>Workstation: unexpected error</translation>
    </message>
    <message>
        <source>Something went wrong: %1</source>
        <translation>Something went wrong: %1</translation>
    </message>
    <message>
        <source>The details were written to the log file:
%1

You can keep working; if the window misbehaves, quit and start Workstation again.</source>
        <translation>The details were written to the log file:
%1

You can keep working; if the window misbehaves, quit and start Workstation again.</translation>
    </message>
    <message>
        <source>Continue</source>
        <translation>Continue</translation>
    </message>
    <message>
        <source>Open log folder</source>
        <translation>Open log folder</translation>
    </message>
    <message>
        <source>Quit</source>
        <translation>Quit</translation>
    </message>
</context>
<context>
    <name>Errors</name>
    <message>
        <source>The system keychain (Windows Credential Manager) could not be read: %1. Sign in again.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>The local cache could not be read (%1).</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Internal error (%1): %2. This is a bug: please tell support (the log has the details).</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Wrong login or password.</source>
        <translation>Wrong login or password.</translation>
    </message>
    <message>
        <source>Too many sign-in attempts. Try again in %1 s.</source>
        <translation>Too many sign-in attempts. Try again in %1 s.</translation>
    </message>
    <message>
        <source>Your session has expired. Please sign in again.</source>
        <translation>Your session has expired. Please sign in again.</translation>
    </message>
    <message>
        <source>Cannot reach the server %1. Check the address and the network connection.</source>
        <translation>Cannot reach the server %1. Check the address and the network connection.</translation>
    </message>
    <message>
        <source>The server&apos;s secure connection (TLS certificate) could not be verified. Check the address or ask your administrator.</source>
        <translation>The server&apos;s secure connection (TLS certificate) could not be verified. Check the address or ask your administrator.</translation>
    </message>
    <message>
        <source>The server had a problem (HTTP %1). Please try again in a moment.</source>
        <translation>The server had a problem (HTTP %1). Please try again in a moment.</translation>
    </message>
    <message>
        <source>The server rejected the request (%1). Is this the right server address?</source>
        <translation>The server rejected the request (%1). Is this the right server address?</translation>
    </message>
    <message>
        <source>The server sent data this workstation cannot read. Is this the right server address?</source>
        <translation>The server sent data this workstation cannot read. Is this the right server address?</translation>
    </message>
    <message>
        <source>Sync stopped on an internal error (%1) and starts again in %2 s. This is a bug: please tell support (the log has the details).</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>The local copy is out of date and is being reloaded.</source>
        <translation>The local copy is out of date and is being reloaded.</translation>
    </message>
    <message>
        <source>Synchronisation failed: %1</source>
        <translation type="unfinished"></translation>
    </message>
</context>
<context>
    <name>Flag</name>
    <message>
        <source>Grey flag</source>
        <translation>Grey flag</translation>
    </message>
    <message>
        <source>Red flag</source>
        <translation>Red flag</translation>
    </message>
    <message>
        <source>Yellow flag</source>
        <translation>Yellow flag</translation>
    </message>
    <message>
        <source>Green flag</source>
        <translation>Green flag</translation>
    </message>
    <message>
        <source>Blue flag</source>
        <translation>Blue flag</translation>
    </message>
    <message>
        <source>Purple flag</source>
        <translation>Purple flag</translation>
    </message>
</context>
<context>
    <name>FlagPicker</name>
    <message>
        <source>%1 (key %2)</source>
        <translation type="unfinished"></translation>
    </message>
</context>
<context>
    <name>HeldBar</name>
    <message>
        <source>Send anyway</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Edit</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Discard</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Reply held back, not sent: %1</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Reply not sent: %1</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>refused by the server</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>(%1 more)</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>editing it in the reply box; Enter sends the new text</source>
        <translation type="unfinished"></translation>
    </message>
</context>
<context>
    <name>MainWindow</name>
    <message>
        <source>Orders (Ctrl+F)</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Orders</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Stock (Ctrl+Shift+S)</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Stock</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Buyer</source>
        <translation type="unfinished">Buyer</translation>
    </message>
    <message>
        <source>Waiting to send</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Overdue after</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Show a waiting buyer as overdue after how many seconds? (0 = the shop&apos;s setting, %1 s)</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Not signed in</source>
        <translation>Not signed in</translation>
    </message>
    <message>
        <source>%1 · agent %2</source>
        <translation>%1 · agent %2</translation>
    </message>
    <message>
        <source>Find order</source>
        <translation>Find order</translation>
    </message>
    <message>
        <source>Next waiting buyer</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Open the buyer waiting longest (%1)</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Overdue after…</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Sync now</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Sign in again…</source>
        <translation>Sign in again…</translation>
    </message>
    <message>
        <source>Sign out</source>
        <translation>Sign out</translation>
    </message>
    <message>
        <source>Language (after restart)</source>
        <translation>Language (after restart)</translation>
    </message>
    <message>
        <source>Follow the system</source>
        <translation>Follow the system</translation>
    </message>
    <message>
        <source>About Workstation</source>
        <translation>About Workstation</translation>
    </message>
    <message>
        <source>Quit</source>
        <translation>Quit</translation>
    </message>
</context>
<context>
    <name>Member</name>
    <message>
        <source>Regular buyer</source>
        <translation>Regular buyer</translation>
    </message>
    <message>
        <source>Member</source>
        <translation>Member</translation>
    </message>
    <message>
        <source>VIP</source>
        <translation>VIP</translation>
    </message>
    <message>
        <source>Unknown</source>
        <translation>Unknown</translation>
    </message>
</context>
<context>
    <name>Messages</name>
    <message>
        <source>The buyer wrote again</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>A colleague already replied</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>The conversation was closed</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>The conversation was transferred</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>The conversation changed</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Queued offline</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Sending…</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Sent</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>refused by the server</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Failed: %1</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Held: %1</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Buyer</source>
        <translation type="unfinished">Buyer</translation>
    </message>
    <message>
        <source>Auto reply</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>System</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Me</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Agent %1</source>
        <translation type="unfinished"></translation>
    </message>
</context>
<context>
    <name>OrderDetailView</name>
    <message>
        <source>Loading order…</source>
        <translation>Loading order…</translation>
    </message>
    <message>
        <source>This order is no longer in the local cache.</source>
        <translation>This order is no longer in the local cache.</translation>
    </message>
    <message>
        <source>Open an order to see its details here (Enter).</source>
        <translation>Open an order to see its details here (Enter).</translation>
    </message>
    <message>
        <source>⚠ CASH ON DELIVERY: confirm the price with the buyer</source>
        <translation>⚠ CASH ON DELIVERY: confirm the price with the buyer</translation>
    </message>
    <message>
        <source>Not shipped yet</source>
        <translation>Not shipped yet</translation>
    </message>
    <message>
        <source>Payment</source>
        <translation>Payment</translation>
    </message>
    <message>
        <source>Payment method</source>
        <translation>Payment method</translation>
    </message>
    <message>
        <source>Shipping fee</source>
        <translation>Shipping fee</translation>
    </message>
    <message>
        <source>Discount</source>
        <translation>Discount</translation>
    </message>
    <message>
        <source>Receiver</source>
        <translation>Receiver</translation>
    </message>
    <message>
        <source>Name</source>
        <translation>Name</translation>
    </message>
    <message>
        <source>Phone</source>
        <translation>Phone</translation>
    </message>
    <message>
        <source>Address</source>
        <translation>Address</translation>
    </message>
    <message>
        <source>Shipping</source>
        <translation>Shipping</translation>
    </message>
    <message>
        <source>Carrier</source>
        <translation>Carrier</translation>
    </message>
    <message>
        <source>Tracking no.</source>
        <translation>Tracking no.</translation>
    </message>
    <message>
        <source>Times</source>
        <translation>Times</translation>
    </message>
    <message>
        <source>Created</source>
        <translation>Created</translation>
    </message>
    <message>
        <source>Paid</source>
        <translation>Paid</translation>
    </message>
    <message>
        <source>Shipped</source>
        <translation>Shipped</translation>
    </message>
    <message>
        <source>Items</source>
        <translation>Items</translation>
    </message>
    <message>
        <source>Check stock of all lines (Ctrl+Shift+K)</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Buyer</source>
        <translation>Buyer</translation>
    </message>
    <message>
        <source>Nickname</source>
        <translation>Nickname</translation>
    </message>
    <message>
        <source>Member level</source>
        <translation>Member level</translation>
    </message>
    <message>
        <source>First order</source>
        <translation>First order</translation>
    </message>
</context>
<context>
    <name>OrderLines</name>
    <message>
        <source>Style</source>
        <translation>Style</translation>
    </message>
    <message>
        <source>Product</source>
        <translation>Product</translation>
    </message>
    <message>
        <source>Colour</source>
        <translation>Colour</translation>
    </message>
    <message>
        <source>Size</source>
        <translation>Size</translation>
    </message>
    <message>
        <source>Qty</source>
        <translation>Qty</translation>
    </message>
    <message>
        <source>Price</source>
        <translation>Price</translation>
    </message>
    <message>
        <source>Subtotal</source>
        <translation>Subtotal</translation>
    </message>
</context>
<context>
    <name>OrderLookupPane</name>
    <message>
        <source>Search order no., nickname, name, phone last digits, address, tracking no. (Ctrl+F)</source>
        <translation>Search order no., nickname, name, phone last digits, address, tracking no. (Ctrl+F)</translation>
    </message>
    <message>
        <source>Search orders (Ctrl+F). Enter opens the top or selected result, Down moves to the results, Esc clears.</source>
        <translation>Search orders (Ctrl+F). Enter opens the top or selected result, Down moves to the results, Esc clears.</translation>
    </message>
    <message>
        <source>Results: Enter or click opens an order, Esc returns to the search (Ctrl+F)</source>
        <translation>Results: Enter or click opens an order, Esc returns to the search (Ctrl+F)</translation>
    </message>
    <message>
        <source>Search failed: the local cache could not be read (%1)</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Search failed: %1</source>
        <translation>Search failed: %1</translation>
    </message>
    <message>
        <source>the local cache could not be read (%1)</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Could not load order %1: %2</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Opening the local cache…</source>
        <translation>Opening the local cache…</translation>
    </message>
    <message>
        <source>Newest %1 orders</source>
        <translation>Newest %1 orders</translation>
    </message>
    <message>
        <source>First sync %1% — the orders are on their way</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>No orders in the local cache yet</source>
        <translation>No orders in the local cache yet</translation>
    </message>
    <message>
        <source>No matching orders</source>
        <translation>No matching orders</translation>
    </message>
    <message>
        <source>Newest %1 of %2 matches — scroll down for older ones</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Newest %1 of more than %2 matches — scroll down for older ones, or type more to narrow down</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Newest %1 matches (type more to narrow down)</source>
        <translation>Newest %1 matches (type more to narrow down)</translation>
    </message>
    <message>
        <source>%1 matching orders</source>
        <translation>%1 matching orders</translation>
    </message>
    <message>
        <source>first sync %1% — results may be incomplete</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>as of %1</source>
        <translation>as of %1</translation>
    </message>
    <message>
        <source>not synced yet</source>
        <translation>not synced yet</translation>
    </message>
</context>
<context>
    <name>OrderTable</name>
    <message>
        <source>Order no.</source>
        <translation>Order no.</translation>
    </message>
    <message>
        <source>Buyer</source>
        <translation>Buyer</translation>
    </message>
    <message>
        <source>Receiver</source>
        <translation>Receiver</translation>
    </message>
    <message>
        <source>Phone</source>
        <translation>Phone</translation>
    </message>
    <message>
        <source>Status</source>
        <translation>Status</translation>
    </message>
    <message>
        <source>Remark</source>
        <translation type="unfinished">Remark</translation>
    </message>
    <message>
        <source>Payment</source>
        <translation>Payment</translation>
    </message>
    <message>
        <source>Amount</source>
        <translation>Amount</translation>
    </message>
    <message>
        <source>Created</source>
        <translation>Created</translation>
    </message>
    <message>
        <source>Carrier / tracking no.</source>
        <translation>Carrier / tracking no.</translation>
    </message>
    <message>
        <source>Cash on delivery: confirm the price with the buyer</source>
        <translation>Cash on delivery: confirm the price with the buyer</translation>
    </message>
</context>
<context>
    <name>Outbox</name>
    <message>
        <source>Waiting to send</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Sending</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Conflict: merge needed</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Refused by the server</source>
        <translation type="unfinished"></translation>
    </message>
</context>
<context>
    <name>OutboxModel</name>
    <message>
        <source>State</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Change</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Written</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Tries</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Last error</source>
        <translation type="unfinished"></translation>
    </message>
</context>
<context>
    <name>OutboxPane</name>
    <message>
        <source>Retry now</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Send the selected change again (the same change, never twice)</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Discard…</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Drop the selected change and undo it on this PC</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Everything you wrote has reached the server.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>%1 changes not confirmed by the server yet</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>%1 need your attention</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Discard this change?</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>“%1” has not reached the server. Discarding it undoes it on this PC too; colleagues will never see it.</source>
        <translation type="unfinished"></translation>
    </message>
</context>
<context>
    <name>Payment</name>
    <message>
        <source>Cash on delivery</source>
        <translation>Cash on delivery</translation>
    </message>
    <message>
        <source>Online, not paid yet</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Paid online</source>
        <translation>Paid online</translation>
    </message>
    <message>
        <source>Amount paid</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>To collect on delivery</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Amount due</source>
        <translation type="unfinished"></translation>
    </message>
</context>
<context>
    <name>QueueModel</name>
    <message>
        <source>Buyer</source>
        <translation type="unfinished">Buyer</translation>
    </message>
    <message>
        <source>Waiting</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Unread</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Last message</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Agent</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Buyer %1</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>[held] %1</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Unassigned</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>answered</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Overdue %1</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Waiting since the buyer&apos;s first unanswered message; overdue after %1</source>
        <translation type="unfinished"></translation>
    </message>
</context>
<context>
    <name>QueuePane</name>
    <message>
        <source>All open</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Mine</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Unassigned</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Overdue %1</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Red &quot;Overdue&quot;: waiting longer than %1</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>The queue could not be read: %1</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>No open conversations</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>%1 open · %2 waiting</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>%1 overdue</source>
        <translation type="unfinished"></translation>
    </message>
</context>
<context>
    <name>RemarkController</name>
    <message>
        <source>The remark could not be saved</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>The conflict could not be read</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>The merged remark could not be saved</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Retry failed</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Discard failed</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>The remark history could not be read</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>The list of waiting changes could not be read</source>
        <translation type="unfinished"></translation>
    </message>
</context>
<context>
    <name>RemarkEditor</name>
    <message>
        <source>What changed, for the colleague who makes the documents</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Reason for the change (e.g. exchange: size M out of stock)</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Save remark</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Save (Ctrl+Enter); it is kept locally and sent when online</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>● Saved on this PC — sent when online</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>✓ Sent</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>⚠ A colleague changed this remark meanwhile — merge needed</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>✗ Not accepted by the server: %1</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>%1 / %2 bytes</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>%1 — too long by %2 bytes</source>
        <translation type="unfinished"></translation>
    </message>
</context>
<context>
    <name>RemarkMergeDialog</name>
    <message>
        <source>Merge the remark of order %1</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>A colleague changed this remark while you were editing it. Nothing is lost: choose what the remark should say.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Yours (not sent)</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Before both changes</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>The remark after merging:</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Keep both (mine on top)</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Take theirs</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Edit the merge</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Save merged remark</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Decide later</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>agent %1</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>a colleague</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Theirs (%1, %2)</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Theirs (%1)</source>
        <translation type="unfinished"></translation>
    </message>
</context>
<context>
    <name>RemarkSection</name>
    <message>
        <source>Remark</source>
        <translation type="unfinished">Remark</translation>
    </message>
    <message>
        <source>Edit remark (F2)</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Merge…</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>See both versions and choose what the remark says</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>by agent %1</source>
        <translation type="unfinished">by agent %1</translation>
    </message>
    <message>
        <source>(no text)</source>
        <translation type="unfinished">(no text)</translation>
    </message>
    <message>
        <source>No remark</source>
        <translation type="unfinished">No remark</translation>
    </message>
    <message>
        <source>agent %1</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>not sent yet</source>
        <translation type="unfinished"></translation>
    </message>
</context>
<context>
    <name>SessionController</name>
    <message>
        <source>Could not save the sign-in in the system keychain: %1</source>
        <translation>Could not save the sign-in in the system keychain: %1</translation>
    </message>
    <message>
        <source>Not signed in: lookups use the local cache. Sign in again from the agent menu.</source>
        <translation>Not signed in: lookups use the local cache. Sign in again from the agent menu.</translation>
    </message>
    <message>
        <source>The local cache could not be opened: %1</source>
        <translation>The local cache could not be opened: %1</translation>
    </message>
</context>
<context>
    <name>Settings</name>
    <message>
        <source>Server address</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Login</source>
        <translation type="unfinished">Login</translation>
    </message>
    <message>
        <source>Remember me on this computer</source>
        <translation type="unfinished">Remember me on this computer</translation>
    </message>
    <message>
        <source>Agent last signed in</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Interface language</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Show a waiting buyer as overdue after (seconds; 0 = the shop&apos;s setting)</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Queue filter</source>
        <translation type="unfinished"></translation>
    </message>
</context>
<context>
    <name>SignInDialog</name>
    <message>
        <source>Sign in to Workstation</source>
        <translation>Sign in to Workstation</translation>
    </message>
    <message>
        <source>Enter the server address, your login and your password.</source>
        <translation>Enter the server address, your login and your password.</translation>
    </message>
    <message>
        <source>Signing in…</source>
        <translation>Signing in…</translation>
    </message>
    <message>
        <source>Remember me on this computer</source>
        <translation>Remember me on this computer</translation>
    </message>
    <message>
        <source>Keeps a sign-in token in the system keychain (never the password).</source>
        <translation>Keeps a sign-in token in the system keychain (never the password).</translation>
    </message>
    <message>
        <source>Server</source>
        <translation>Server</translation>
    </message>
    <message>
        <source>Login</source>
        <translation>Login</translation>
    </message>
    <message>
        <source>Password</source>
        <translation>Password</translation>
    </message>
    <message>
        <source>Sign in</source>
        <translation>Sign in</translation>
    </message>
    <message>
        <source>Cancel</source>
        <translation>Cancel</translation>
    </message>
</context>
<context>
    <name>Status</name>
    <message>
        <source>Unpaid</source>
        <translation>Unpaid</translation>
    </message>
    <message>
        <source>Paid</source>
        <translation>Paid</translation>
    </message>
    <message>
        <source>Documents made</source>
        <translation>Documents made</translation>
    </message>
    <message>
        <source>Shipped</source>
        <translation>Shipped</translation>
    </message>
    <message>
        <source>Completed</source>
        <translation>Completed</translation>
    </message>
    <message>
        <source>Closed</source>
        <translation>Closed</translation>
    </message>
    <message>
        <source>Refunding</source>
        <translation>Refunding</translation>
    </message>
    <message>
        <source>Refunded</source>
        <translation>Refunded</translation>
    </message>
</context>
<context>
    <name>StatusPane</name>
    <message>
        <source>Sync now</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Try to reach the server now instead of waiting for the next retry (F5)</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Changes written on this PC that the server has not confirmed yet</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Offline since %1 — lookups work from the local cache</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Not synced yet</source>
        <translation>Not synced yet</translation>
    </message>
    <message>
        <source>Synced %1</source>
        <translation>Synced %1</translation>
    </message>
    <message>
        <source>Last successful sync: %1</source>
        <translation>Last successful sync: %1</translation>
    </message>
    <message>
        <source>Last sync failed at %1: %2</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>%1 · last attempt failed %2</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>%1 changes waiting</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>%1 need you</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>First sync %1%</source>
        <translation>First sync %1%</translation>
    </message>
    <message>
        <source>Backing up the local cache before upgrading it %1%</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Upgrading the local cache %1%</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>%1 orders cached</source>
        <translation>%1 orders cached</translation>
    </message>
    <message>
        <source>The store server cannot be reached. Lookups work from the local cache.</source>
        <translation>The store server cannot be reached. Lookups work from the local cache.</translation>
    </message>
    <message>
        <source>Your session has expired. Sign in again to resume syncing.</source>
        <translation>Your session has expired. Sign in again to resume syncing.</translation>
    </message>
    <message>
        <source>Not signed in.</source>
        <translation>Not signed in.</translation>
    </message>
</context>
<context>
    <name>Stock</name>
    <message>
        <source>style no.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>outer id</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>name</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>pinyin</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>colour</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>size</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>category</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Style no.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Name</source>
        <translation type="unfinished">Name</translation>
    </message>
    <message>
        <source>Category</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Matched</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Available</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Real</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Reserved</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Page</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>%1 %2 in %3: real %4, reserved %5, available %6</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>, page %1</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>the page shows more than can ship</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>the page differs from the real stock</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>out of stock</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Warehouse</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Colour</source>
        <translation type="unfinished">Colour</translation>
    </message>
    <message>
        <source>Figure</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>No such SKU</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>? not in the local cache</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>✓ in stock</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>✕ short by %1</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Size</source>
        <translation type="unfinished">Size</translation>
    </message>
    <message>
        <source>Qty</source>
        <translation type="unfinished">Qty</translation>
    </message>
    <message>
        <source>Stock</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>stock not synced yet</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>as of %1</source>
        <translation type="unfinished">as of %1</translation>
    </message>
</context>
<context>
    <name>StockPane</name>
    <message>
        <source>Search failed: %1</source>
        <translation type="unfinished">Search failed: %1</translation>
    </message>
    <message>
        <source>Stock could not be read: %1</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Check stock</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Cannot check these lines: %1</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Find a style: style no., name, pinyin initials, outer id, colour, size (Ctrl+Shift+S)</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Stock search (Ctrl+Shift+S). Enter opens the top or selected style, Down moves to the results, Esc clears.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Enter opens the line&apos;s style grid, Esc returns to the search</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Real stock per warehouse: available = real − reserved. ✕ out of stock, ⚠ the shop page shows another figure. Enter on an out-of-stock cell moves to what else is in stock.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>This style is no longer in the local cache.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>in stock in %1</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Same style: %1 %2 — %3 available (%4)</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Similar: %5 %6 %1 %2 — %3 available (%4)</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Out of stock — in stock instead (Enter to move here):</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Out of stock — nothing similar in stock.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>This order is no longer in the local cache.</source>
        <translation type="unfinished">This order is no longer in the local cache.</translation>
    </message>
    <message>
        <source>no lines to check</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>✕ %1 of %2 lines cannot ship in full</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>✓ every line is in stock</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Stock of the order&apos;s lines</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Stock of the lines</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Opening the local cache…</source>
        <translation type="unfinished">Opening the local cache…</translation>
    </message>
    <message>
        <source>No matching styles</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>%1 styles</source>
        <translation type="unfinished"></translation>
    </message>
</context>
<context>
    <name>TransferBar</name>
    <message>
        <source>receiving</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>paused</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>offline</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>To:</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Note for the colleague</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Transfer</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Cancel</source>
        <translation type="unfinished">Cancel</translation>
    </message>
    <message>
        <source>Choose a colleague</source>
        <translation type="unfinished"></translation>
    </message>
</context>
</TS>
